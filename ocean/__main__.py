from ocean.cli.main import main

main()
