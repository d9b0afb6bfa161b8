"""The Landlock tier's confinement, applied to the zygote before it imports or forks anything (so
every kernel inherits it): no_new_privs, a Landlock file system allow-list (no TCP either) and a
seccomp filter. Run as a script, with the standard library only (ctypes against the kernel's
Landlock system calls and against libseccomp.so.2):

    python -I confine.py SPEC_JSON FACTORY [ARGS...]     (or: SPEC_JSON -c CODE, to try it)

SPEC_JSON is ``{"read": [paths], "write": [paths]}``: read and execute under `read`, anything
under `write`. Nothing else of the file system can be read or written. Then FACTORY runs as
``__main__``.

The bubblewrap tier runs ``confine.py --filter-only FACTORY``: its namespaces do the rest, and the
seccomp filter alone is applied (sockets allowed: the kernel's own, in its network namespace).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import runpy
import sys

# Landlock (include/uapi/linux/landlock.h); system call numbers are the same on every architecture.
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
TRUNCATE, IOCTL_DEV = 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the rights a rule on a file may hold
ABI_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}  # ABI >= 5: (1 << 16) - 1
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 38, 36

# seccomp (libseccomp's seccomp.h)
ACT_ALLOW = 0x7FFF0000
CMP_NE, CMP_EQ, CMP_MASKED_EQ = 1, 4, 7
AF_UNIX = 1
NAMESPACES = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
    "CLONE_NEWTIME": 0x00000080,
}
DENIED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "personality",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "open_by_handle_at",
    "name_to_handle_at",
    "quotactl",
    "lookup_dcookie",
    "vhangup",
    # Memory outside a kernel's address-space limit (RLIMIT_AS counts only what is mapped): System
    # V segments, queues and semaphores (which outlive a notebook where there is no IPC namespace)
    # and memory files. Neither Python, torch nor Jupyter needs them (libffi falls back to a file).
    "shmget",
    "msgget",
    "semget",
    "memfd_create",
    "memfd_secret",
)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _call(value: int, what: str) -> int:
    if value < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return value


def landlock_abi() -> int:
    """The running kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


class _Ruleset(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock(read: list[str], write: list[str]) -> int:
    """Restrict this process (and all it starts) to `read` and `write`; the ABI used. Paths that
    do not exist are left out (as bwrap's --ro-bind-try)."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available in this kernel (needs Linux 5.13+, lsm=landlock)")
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    everything = ABI_RIGHTS.get(abi, (1 << 16) - 1)
    attr = _Ruleset(
        everything,
        (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0,
        (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0,
    )
    size = ctypes.sizeof(_Ruleset) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _call(
        libc.syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)),
        "landlock_create_ruleset",
    )
    try:
        for paths, rights in ((read, EXECUTE | READ_FILE | READ_DIR), (write, everything)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except FileNotFoundError:
                    continue
                try:
                    allowed = rights if os.path.isdir(path) else rights & FILE_RIGHTS
                    rule = _PathBeneath(allowed, fd)
                    _call(
                        libc.syscall(
                            ADD_RULE,
                            ctypes.c_int(ruleset),
                            ctypes.c_int(RULE_PATH_BENEATH),
                            ctypes.byref(rule),
                            ctypes.c_uint32(0),
                        ),
                        f"landlock_add_rule({path})",
                    )
                finally:
                    os.close(fd)
        _call(libc.syscall(RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


class _Arg(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def seccomp(denied: tuple[str, ...] = DENIED, sockets: bool = False) -> None:
    """Deny (EPERM) the system calls student code needs none of: `denied` (ptrace, mounts, kernel
    keyrings, BPF, modules...), new namespaces, and, unless `sockets`, sockets but Unix ones
    (other architectures' system calls kill the process: libseccomp's default)."""
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_Arg),
    ]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(ACT_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")

    def deny(name: str, *args: tuple[int, int, int], code: int = errno.EPERM) -> None:
        number = lib.seccomp_syscall_resolve_name(name.encode())
        if number < 0:  # not a system call of this architecture
            return
        array = (_Arg * max(len(args), 1))(
            *[
                _Arg(i, op, a, a if op != CMP_MASKED_EQ else b)
                for i, op, a, b in [(x[0], x[1], x[2], x[3] if len(x) > 3 else 0) for x in args]
            ]
        )
        result = lib.seccomp_rule_add_array(ctypes.c_void_p(ctx), 0x00050000 | code, number, len(args), array)
        if result < 0:
            raise OSError(-result, f"seccomp_rule_add({name}): {os.strerror(-result)}")

    try:
        if not sockets:
            deny("socket", (0, CMP_NE, AF_UNIX))
        for flag in NAMESPACES.values():
            deny("clone", (0, CMP_MASKED_EQ, flag, flag))
        deny("clone3", code=errno.ENOSYS)  # its flags are out of seccomp's reach: libc falls back to clone
        for name in denied:
            deny(name)
        result = lib.seccomp_load(ctypes.c_void_p(ctx))
        if result < 0:
            raise OSError(-result, f"seccomp_load: {os.strerror(-result)}")
    finally:
        lib.seccomp_release(ctypes.c_void_p(ctx))


def confine(read: list[str], write: list[str]) -> None:
    """This process, from now on: no new privileges, the allow-list, the seccomp filter. The
    zygote is a child subreaper, so what a kernel orphans (setsid, double fork) stays its own."""
    libc = _libc()
    for option in (PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER):
        _call(libc.prctl(option, 1, 0, 0, 0), f"prctl({option})")
    landlock(read, write)
    seccomp()


def without_tcp_pipe() -> None:
    """ipykernel forwards what forked subprocesses print over TCP on 127.0.0.1, and libzmq aborts
    the kernel when it cannot open that socket: confined kernels go without (what a forked
    Python subprocess prints does not reach the notebook; the kernel's own output does)."""
    from ipykernel import iostream

    iostream.IOPubThread._setup_pipe_in = lambda thread: setattr(thread, "_pipe_flag", False)


FILTER_ONLY = "--filter-only"


if __name__ == "__main__":
    if platform.system() != "Linux":
        sys.exit("the Landlock tier runs on Linux only")
    filter_only = sys.argv[1] == FILTER_ONLY
    if filter_only:
        _call(_libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        seccomp(sockets=True)
    else:
        spec = json.loads(sys.argv[1])
        confine(spec["read"], spec["write"])
    if sys.argv[2] == "-c":
        exec(compile(sys.argv[3], "<confined>", "exec"), {"__name__": "__main__"})
    else:
        if not filter_only:
            without_tcp_pipe()
        factory = sys.argv[2]
        sys.argv = sys.argv[2:]
        runpy.run_path(factory, run_name="__main__")
