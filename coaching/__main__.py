from coaching.cli import main

main()
