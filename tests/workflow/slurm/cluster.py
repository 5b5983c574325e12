"""A throw-away single-node SLURM cluster on loopback, built from Debian's packages.

Used by ``tests/workflow/test_slurm.py``; also runnable by hand (as root)::

    python3 tests/workflow/slurm/cluster.py up /tmp/dln-slurm     # install if needed, start
    SLURM_CONF=/tmp/dln-slurm/slurm/slurm.conf sinfo                # use it
    python3 tests/workflow/slurm/cluster.py down /tmp/dln-slurm   # stop what `up` started

The cluster is the realistic set-up the SLURM executor plugin expects: munged, MariaDB (Unix
socket only, ``--skip-networking``), slurmdbd (so ``sacct`` answers job status queries),
slurmctld and one slurmd named after ``hostname -s``, with the CPUs and memory of this
machine. Every file (keys, sockets, databases, state, logs, PID files) lives under one
directory; every daemon binds 127.0.0.1 only. Daemons run in the foreground as children of
the starting process, each with an explicit PID file, and :meth:`LocalSlurm.stop` ends
exactly those PIDs (after cancelling the cluster's own jobs), never processes found by name.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Debian 12 gives SLURM 22.05; slurmdbd + MariaDB provide the accounting `sacct` reads.
PACKAGES = (
    "munge",
    "slurm-client",
    "slurmctld",
    "slurmd",
    "slurmdbd",
    "slurm-wlm-mysql-plugin",
    "mariadb-server",
)
BINARIES = (
    "munged",
    "mariadb-install-db",
    "mariadbd",
    "mariadb-admin",
    "slurmdbd",
    "slurmctld",
    "slurmd",
    "sbatch",
    "sacct",
    "sacctmgr",
    "scancel",
    "sinfo",
    "squeue",
)
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin"
# Where SLURM commands look for their configuration when SLURM_CONF is unset. The jobstep
# plugin (0.6.1) removes SLURM_CONF from the environment of the `srun` it starts inside each
# job, so the job steps of this cluster find its slurm.conf only here: a symbolic link to it
# exists while the cluster runs (as on a real cluster, where slurm.conf lives there).
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
CLUSTER = "dlntest"
ACCOUNT = "dln"
PARTITION = "debug"
# Start order; stop runs in reverse.
DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
# Seconds a daemon may take to come up, and an apt-get install to finish.
START_TIMEOUT = 60
APT_TIMEOUT = 600


class ClusterError(RuntimeError):
    """The cluster could not be brought up (the message carries the daemons' log tails)."""


def _path_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{env.get('PATH', '/usr/bin:/bin')}:{SBIN_PATH}"
    return env


def _which(name: str) -> str | None:
    return shutil.which(name, path=_path_env()["PATH"])


def short_hostname() -> str:
    return socket.gethostname().split(".")[0]


def unavailable_reason() -> str | None:
    """Why a cluster cannot be brought up here (None when it can)."""
    if not sys.platform.startswith("linux"):
        return f"SLURM test cluster needs Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return "SLURM test cluster needs root (to install Debian's packages and run daemons)"
    missing = [b for b in BINARIES if _which(b) is None]
    if missing and _which("apt-get") is None:
        return f"SLURM is not installed ({', '.join(missing)} missing) and there is no apt-get"
    if SYSTEM_CONF.is_symlink() and not SYSTEM_CONF.exists():
        pass  # a link left by a test cluster that was killed: start() replaces it
    elif SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
        return (
            f"{SYSTEM_CONF} exists (a real SLURM configuration?); the test cluster needs that "
            "path for its own and never replaces an existing file"
        )
    host = short_hostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, socket.AF_INET)}
    except socket.gaierror:
        return f"host name {host!r} does not resolve; SLURM names its node after it"
    if not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        return (
            f"host name {host!r} resolves to {sorted(addresses)}, not loopback: the daemons "
            "bind the address it resolves to, and must never listen outside loopback"
        )
    return None


def install_packages(log: Path) -> bool:
    """apt-get install the Debian packages if a binary is missing; True if it installed."""
    if all(_which(b) for b in BINARIES):
        return False
    env = {**_path_env(), "DEBIAN_FRONTEND": "noninteractive"}
    with log.open("a") as out:
        for cmd in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "-q", *PACKAGES],
        ):
            out.write(f"$ {' '.join(cmd)}\n")
            out.flush()
            done = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=APT_TIMEOUT, check=False
            )
            if done.returncode != 0:
                raise ClusterError(f"{' '.join(cmd)} failed; see {log}:\n{_tail(log)}")
    missing = [b for b in BINARIES if _which(b) is None]
    if missing:
        raise ClusterError(f"still missing after apt-get install: {', '.join(missing)}")
    return True


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} unreadable)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_hardware() -> tuple[int, int]:
    """CPUs and RealMemory (MB) as slurmd measures them (a node claiming more is drained)."""
    out = subprocess.run([_which("slurmd"), "-C"], capture_output=True, text=True, check=True)
    fields = dict(f.split("=", 1) for f in out.stdout.split() if "=" in f)
    try:
        return int(fields["CPUs"]), int(fields["RealMemory"])
    except (KeyError, ValueError):
        raise ClusterError(f"slurmd -C printed no CPUs/RealMemory: {out.stdout!r}") from None


class LocalSlurm:
    """munged + MariaDB + slurmdbd + slurmctld + slurmd under ``root``, on loopback.

    ``env`` is the environment for SLURM clients (``SLURM_CONF`` points at this cluster).
    """

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.host = short_hostname()
        self.conf = self.root / "slurm" / "slurm.conf"
        self.pid_file = self.root / "pids.json"  # our record: name -> PID we started
        self.env = {**_path_env(), "SLURM_CONF": str(self.conf)}
        self.pids: dict[str, int] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._linked = False

    @classmethod
    def from_record(cls, root: Path) -> LocalSlurm:
        """The cluster that `up` started under ``root`` (for `down`, from another process).

        Only PIDs whose environment still names this cluster's slurm.conf are kept, so a
        PID reused by another process since is never signalled.
        """
        self = cls(root)
        recorded = json.loads(self.pid_file.read_text()) if self.pid_file.exists() else {}
        marker = f"SLURM_CONF={self.conf}".encode()
        for name, pid in recorded.items():
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in environ:
                self.pids[name] = pid
        self._linked = SYSTEM_CONF.is_symlink()
        return self

    # ------------------------------------------------------------------ helpers
    def run(
        self, *cmd: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess:
        """Run a SLURM client command against this cluster."""
        out = subprocess.run(
            list(cmd), capture_output=True, text=True, env=self.env, timeout=timeout, check=False
        )
        if check and out.returncode != 0:
            raise ClusterError(f"{' '.join(cmd)} exited {out.returncode}: {out.stderr.strip()}")
        return out

    def _logs(self) -> str:
        parts = []
        logs = [
            *(self.root / "logs").glob("*"),
            *(self.root / "slurm").glob("*.log"),
            self.root / "munge" / "munged.log",
            self.root / "mysql" / "mysqld.log",
        ]
        for path in sorted(p for p in logs if p.is_file()):
            parts.append(f"--- {path.relative_to(self.root)}\n{_tail(path)}")
        return "\n".join(parts)

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
        out = (self.root / "logs" / f"{name}.out").open("ab")
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or self.env,
            start_new_session=True,
        )
        out.close()
        self._procs[name] = proc
        self.pids[name] = proc.pid
        self.pid_file.write_text(json.dumps(self.pids, indent=1))

    def _wait(self, what: str, ready, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise ClusterError(
                        f"{name} exited with {proc.returncode} while waiting for {what}\n"
                        + self._logs()
                    )
            try:
                if ready():
                    return
            except (subprocess.SubprocessError, OSError):
                pass
            time.sleep(0.2)
        raise ClusterError(f"timed out after {timeout} s waiting for {what}\n" + self._logs())

    def _ok(self, *cmd: str, env: dict[str, str] | None = None) -> bool:
        return (
            subprocess.run(
                list(cmd), capture_output=True, env=env or self.env, timeout=10, check=False
            ).returncode
            == 0
        )

    # ------------------------------------------------------------------ start
    def write_config(self) -> None:
        for sub in ("munge", "mysql", "slurm/state", "slurm/spool", "logs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        cpus, real_memory = _node_hardware()
        values = {
            "root": self.root,
            "cluster": CLUSTER,
            "host": self.host,
            "partition": PARTITION,
            "ctld_port": _free_port(),
            "slurmd_port": _free_port(),
            "dbd_port": _free_port(),
            "munge_socket": self.root / "munge" / "munged.sock",
            "cpus": cpus,
            "real_memory": real_memory,
        }
        # A job that names no memory gets a fair share of the node, not all of it.
        values["def_mem_per_cpu"] = max(100, values["real_memory"] // (4 * values["cpus"]))
        for name in ("slurm.conf", "slurmdbd.conf"):
            text = (HERE / f"{name}.in").read_text().format(**values)
            path = self.root / "slurm" / name
            path.write_text(text)
            path.chmod(0o600)  # slurmdbd refuses a readable slurmdbd.conf

    def start(self) -> None:
        """Write the configuration and start the five daemons; raise ClusterError on failure."""
        self.write_config()
        r = self.root
        munge_socket = str(r / "munge" / "munged.sock")
        self._spawn(
            "munged",
            [
                _which("munged"),
                "--foreground",
                "--force",
                "--num-threads=2",
                f"--key-file={r}/munge/munge.key",
                f"--socket={munge_socket}",
                f"--pid-file={r}/munge/munged.pid",
                f"--log-file={r}/munge/munged.log",
                f"--seed-file={r}/munge/munged.seed",
            ],
        )
        self._wait("the munge socket", lambda: Path(munge_socket).exists())

        mysql = r / "mysql"
        install = subprocess.run(
            [
                _which("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={mysql}/data",
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
                "--skip-name-resolve",
            ],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            check=False,
        )
        (r / "logs" / "mariadb-install-db.log").write_text(install.stdout + install.stderr)
        if install.returncode != 0:
            raise ClusterError("mariadb-install-db failed:\n" + install.stdout + install.stderr)
        mysql_socket = str(mysql / "mysqld.sock")
        self._spawn(
            "mariadbd",
            [
                _which("mariadbd"),
                "--no-defaults",
                f"--datadir={mysql}/data",
                "--user=root",
                f"--socket={mysql_socket}",
                f"--pid-file={mysql}/mysqld.pid",
                f"--log-error={mysql}/mysqld.log",
                "--skip-networking",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
            ],
        )
        self._wait(
            "MariaDB",
            lambda: self._ok(
                _which("mariadb-admin"), "--no-defaults", f"--socket={mysql_socket}", "ping"
            ),
        )

        dbd_env = {**self.env, "MYSQL_UNIX_PORT": mysql_socket}
        self._spawn("slurmdbd", [_which("slurmdbd"), "-D"], env=dbd_env)
        sacctmgr = _which("sacctmgr")
        self._wait(
            "slurmdbd",
            lambda: (
                self._ok(sacctmgr, "-i", "add", "cluster", CLUSTER)
                or CLUSTER
                in self.run(
                    sacctmgr, "-n", "-P", "list", "cluster", "format=cluster", check=False
                ).stdout.split()
            ),
        )
        self.run(
            sacctmgr,
            "-i",
            "add",
            "account",
            ACCOUNT,
            f"cluster={CLUSTER}",
            "Description=dln tests",
            "Organization=dln",
        )
        self.run(
            sacctmgr,
            "-i",
            "add",
            "user",
            "root",
            f"account={ACCOUNT}",
            f"DefaultAccount={ACCOUNT}",
            f"cluster={CLUSTER}",
        )

        self._link_system_conf()
        # -c: clean start, so no job state survives from an earlier (crashed) cluster.
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-c"])
        self._wait("slurmctld", lambda: self._ok(_which("sinfo"), "-h"))
        self._spawn("slurmd", [_which("slurmd"), "-D", "-N", self.host])
        self._wait(
            "the node to be idle",
            lambda: (
                self.run(_which("sinfo"), "-h", "-N", "-o", "%T", check=False).stdout.split()
                == ["idle"]
            ),
        )

    def _link_system_conf(self) -> None:
        if SYSTEM_CONF.is_symlink() and not SYSTEM_CONF.exists():
            SYSTEM_CONF.unlink()  # dangling: left by a killed test cluster
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.symlink_to(self.conf)  # FileExistsError: never replace a real one
        self._linked = True

    def _unlink_system_conf(self) -> None:
        if self._linked and SYSTEM_CONF.is_symlink():
            if Path(os.readlink(SYSTEM_CONF)) == self.conf:
                SYSTEM_CONF.unlink()
        self._linked = False

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Cancel this cluster's jobs, then end the daemons this object started (by PID)."""
        if self.pids.get("slurmctld") and _pid_alive(self.pids["slurmctld"]):
            self.run(_which("scancel"), "--user=root", "--full", check=False)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                out = self.run(_which("squeue"), "-h", "-o", "%i", check=False)
                if out.returncode != 0 or not out.stdout.strip():
                    break
                time.sleep(0.5)
        for name in reversed(DAEMONS):
            pid = self.pids.get(name)
            if pid is None:
                continue
            proc = self._procs.get(name)
            stop_pid(pid, proc)
        self._unlink_system_conf()
        self.pids.clear()
        self._procs.clear()
        self.pid_file.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split()[2] == "Z")


def stop_pid(pid: int, proc: subprocess.Popen | None = None, timeout: float = 20) -> None:
    """SIGTERM one PID, wait, SIGKILL if it is still there."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                return
            if proc is None and not _pid_alive(pid):
                return
            time.sleep(0.1)
    if proc is not None:
        proc.wait(timeout=5)


def listening_addresses(pids) -> dict[int, list[str]]:
    """Local addresses of the TCP sockets in LISTEN state owned by each PID."""
    table = {}
    for proto in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A":  # LISTEN
                continue
            ip_hex, port_hex = fields[1].split(":")
            raw = bytes.fromhex(ip_hex)
            if proto == "tcp":
                addr = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                addr = socket.inet_ntop(socket.AF_INET6, words)
            table[fields[9]] = f"{addr}:{int(port_hex, 16)}"
    found = {}
    for pid in pids:
        addrs = []
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inode = target[len("socket:[") : -1]
                if inode in table:
                    addrs.append(table[inode])
        found[pid] = sorted(addrs)
    return found


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("up", "down"):
        print(__doc__)
        return 2
    action, root = argv[0], Path(argv[1]).resolve()
    if action == "up":
        reason = unavailable_reason()
        if reason:
            print(f"cannot start: {reason}", file=sys.stderr)
            return 1
        root.mkdir(parents=True, exist_ok=True)
        install_packages(root / "apt.log")
        cluster = LocalSlurm(root)
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
        print(f"export SLURM_CONF={cluster.conf}")
        return 0
    LocalSlurm.from_record(root).stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
