/// The daemon's version, printed by `--version`.
enum ServerVersion {
    static let string = "0.1.0"
}
