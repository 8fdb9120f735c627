import ArenaCore
print("arena-server: not yet wired")
