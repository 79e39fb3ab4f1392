from advocate.cli import main

main()
