"""One module per ``lunora`` subcommand; see :data:`lunora_codegen.cli.COMMANDS`."""
