from warden_install.cli import main

raise SystemExit(main())
