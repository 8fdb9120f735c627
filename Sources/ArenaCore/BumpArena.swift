// Placeholder; replaced by the allocator.
public enum ArenaCoreVersion { public static let string = "0.1.0" }
