/// `GET /livez` and `GET /readyz`, in the Kubernetes components' format: `ok`, or with `?verbose` (and always
/// when a check fails) one line per check and a verdict:
///
/// ```
/// [+]ping ok
/// [+]listener ok
/// [+]arenas ok
/// [-]shutdown failed: the server is stopping
/// readyz check failed
/// ```
///
/// A failed check answers 503. Probes need no token and pass under any `Host` (`Route.isProbe`); while the server
/// stops they still answer (`respond(to:request:)`): `/livez` 200, `/readyz` 503. `/healthz` stays the plain `ok`
/// it always was.
extension ArenaAPI {
    /// One named check and, when it failed, why.
    struct ProbeCheck {
        var name: String
        var problem: String?
    }

    /// Alive: the process answers. Whatever else goes wrong, a restart would not fix it.
    func livenessChecks() -> [ProbeCheck] {
        [ProbeCheck(name: "ping")]
    }

    /// Ready for traffic: the listener is up, every declared arena is in the registry, and the server is not
    /// stopping.
    func readinessChecks() -> [ProbeCheck] {
        let phase = serving.phase
        let missing = declaredArenas.filter { registry.arena(named: $0) == nil }
        return [
            ProbeCheck(name: "ping"),
            ProbeCheck(
                name: "listener",
                problem: phase == .serving || phase == .stopping ? nil : "the server is not listening"),
            ProbeCheck(
                name: "arenas",
                problem: missing.isEmpty ? nil : "declared arenas missing: \(missing.joined(separator: ", "))"),
            ProbeCheck(
                name: "shutdown",
                problem: phase == .stopping || phase == .stopped ? "the server is stopping" : nil),
        ]
    }

    /// The answer of `/livez` or `/readyz`.
    func probe(_ route: Route, _ request: HTTPRequest) -> HTTPResponse {
        route == .readyz ? probe("readyz", readinessChecks(), request) : probe("livez", livenessChecks(), request)
    }

    /// The answer of probe `kind` (`livez`, `readyz`) to `checks`.
    private func probe(_ kind: String, _ checks: [ProbeCheck], _ request: HTTPRequest) -> HTTPResponse {
        let passed = checks.allSatisfy { $0.problem == nil }
        guard !passed || request.query["verbose"] != nil else { return .text("ok\n") }
        var text = ""
        for check in checks {
            if let problem = check.problem {
                text += "[-]\(check.name) failed: \(problem)\n"
            } else {
                text += "[+]\(check.name) ok\n"
            }
        }
        text += "\(kind) check \(passed ? "passed" : "failed")\n"
        return .text(text, status: passed ? .ok : .serviceUnavailable)
    }
}
