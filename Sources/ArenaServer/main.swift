// arena-server: parse flags, load the configuration, serve until SIGINT or SIGTERM.
// The work is in ArenaServerCommand.run() and Daemon; no C callbacks here (code in this file is @MainActor).
ArenaServerCommand.main()
