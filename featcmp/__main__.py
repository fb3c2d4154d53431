from featcmp.cli import main

main()
