#!/usr/bin/python3
"""Runs a command under the restrictions of deploy/systemd/arena-server.service, without systemd.

The tests' machines have no systemd as PID 1 (so no `systemd-run`); this applies the same kernel mechanisms that
systemd 252 (Debian bookworm) applies for the unit's settings, then execs the command in this process:

- MemoryDenyWriteExecute=yes: systemd 252's seccomp filter, rule for rule (src/shared/seccomp-util.c,
  seccomp_memory_deny_write_execute): mmap with PROT_WRITE and PROT_EXEC together, mprotect and pkey_mprotect
  adding PROT_EXEC, and shmat with SHM_EXEC fail with EPERM. Also the kernel's own prctl(PR_SET_MDWE), which newer
  systemd uses where the kernel has it (Linux 6.3+), when this kernel has it.
- SystemCallFilter=@system-service: an allow-list of the syscalls `systemd-analyze syscall-filter` lists for the
  group, nested groups expanded. Anything else kills the process (stricter than the unit's
  SystemCallErrorNumber=EPERM: a call that would fail quietly there fails loudly here).
  SystemCallArchitectures=native: libseccomp's filter kills syscalls of other architectures.
- NoNewPrivileges=yes: libseccomp sets no_new_privs before loading the filters.
- DynamicUser=yes, CapabilityBoundingSet=: the command runs as an unused uid and gid with no groups (so with no
  capabilities), as DynamicUser's users (61184-65519) do.
- ProtectSystem=strict: when run inside `unshare --mount` (as the tests do), / is remounted read-only, bind and
  recursively, in that private mount namespace. Without a private namespace this step is skipped (`--no-ro`).

Usage: unshare --mount --propagation private scripts/systemd-sandbox.py [--uid N] -- COMMAND [ARG...]
       scripts/systemd-sandbox.py --probe   # shows that the filters refuse a writable and executable mapping

Needs root (to change user and remount) and python3-seccomp (Debian), which scripts/install-deps.sh installs.
"""

import ctypes
import errno
import mmap
import os
import subprocess
import sys

import seccomp

PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
SHM_EXEC = 0o100000
DYNAMIC_UID = 61234  # inside systemd's DynamicUser range, used by no one here


def expand(group, seen):
    """The syscall names of `group` (`@system-service`), nested `@groups` expanded."""
    if group in seen:
        return set()
    seen.add(group)
    out = subprocess.run(
        ["systemd-analyze", "syscall-filter", group], check=True, capture_output=True, text=True
    ).stdout
    names = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        names |= expand(word, seen) if word.startswith("@") else {word}
    return names


def protect_system_strict():
    """Every mount read-only but the API file systems (/dev, /proc, /sys), as ProtectSystem=strict has it."""
    with open("/proc/self/mountinfo") as mounts:
        points = [line.split()[4] for line in mounts]
    for point in points:
        if any(point == api or point.startswith(api + "/") for api in ("/dev", "/proc", "/sys")):
            continue
        subprocess.run(["mount", "-o", "remount,bind,ro", point], check=point == "/", stderr=subprocess.DEVNULL)


def memory_deny_write_execute():
    flt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    eperm = seccomp.ERRNO(errno.EPERM)
    both = mmap.PROT_WRITE | mmap.PROT_EXEC
    flt.add_rule(eperm, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, both, both))
    flt.add_rule(eperm, "mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC))
    flt.add_rule(eperm, "pkey_mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC))
    flt.add_rule(eperm, "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
    flt.load()
    libc = ctypes.CDLL(None, use_errno=True)
    # EINVAL: a kernel before 6.3. The seccomp filter above is what systemd 252 relies on anyway.
    libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0)


def system_call_filter(allowed):
    flt = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)
    for name in sorted(allowed):
        try:
            flt.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError):
            pass  # not a syscall of this architecture (systemd skips those too)
    flt.load()


def probe():
    """Under the MemoryDenyWriteExecute filter, a writable and executable mapping must be refused."""
    memory_deny_write_execute()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    address = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC,
                        mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        print("mmap W+X refused:", errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
        return 0
    print("mmap W+X allowed: the filter is not in force")
    return 1


def main(argv):
    if argv[1:] == ["--probe"]:
        return probe()
    uid, read_only = DYNAMIC_UID, True
    args = argv[1:]
    while args and args[0] != "--":
        if args[0] == "--uid":
            uid, args = int(args[1]), args[2:]
        elif args[0] == "--no-ro":
            read_only, args = False, args[1:]
        else:
            sys.exit(f"systemd-sandbox: unknown option {args[0]}")
    if len(args) < 2:
        sys.exit(__doc__)
    command = args[1:]
    allowed = expand("@system-service", set())
    if read_only:
        protect_system_strict()
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    memory_deny_write_execute()
    system_call_filter(allowed)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
