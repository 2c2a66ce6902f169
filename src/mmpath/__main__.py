from mmpath.present.cli import main

main()
