from dnssync.cli.main import main

raise SystemExit(main())
