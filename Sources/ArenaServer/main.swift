import ArenaCore
print("arena-server \(ArenaCoreVersion.string)")
