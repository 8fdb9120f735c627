import Foundation

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held. For what a test can
/// observe but not be told about (a line in a child's output, a sweep of the idle sweeper).
func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
