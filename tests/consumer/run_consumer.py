#!/usr/bin/python3
"""Installs coffer from a build tree into a temporary prefix, builds the C
program in this directory against that prefix, and runs it: it backs up a
directory through the C API, restores it and compares the trees byte for byte.

  run_consumer.py --build-dir BUILD --mode cmake      [--cmake CMAKE]
  run_consumer.py --build-dir BUILD --mode pkg-config [--cc CC]

--mode cmake      find_package(coffer CONFIG): consumer_shared on coffer::coffer
                  and consumer_static on coffer::coffer_static.
--mode pkg-config cc main.c $(pkg-config --cflags --libs coffer), and a static
                  link with `pkg-config --static --libs coffer`.

Each program must run against the installed libraries, never the build tree's
(checked with ldd). Everything happens in one temporary directory, removed at
the end whatever the outcome. Exit status 0 only when every step passed.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIR = "lib"  # CMAKE_INSTALL_LIBDIR, set from --libdir


class Failure(Exception):
    pass


def run(cmd, env=None, cwd=None, expect=0):
    """Runs cmd; raises Failure with its output when the exit status is not `expect`."""
    print("+ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != expect:
        sys.stdout.write(proc.stdout)
        raise Failure(f"exit status {proc.returncode} (expected {expect}): {' '.join(cmd)}")
    return proc.stdout


def make_source_tree(root):
    """A small tree with the shapes that matter: nested dirs, an empty file,
    text, random binary data larger than one chunk, and repeated content."""
    rng = random.Random(20240601)
    os.makedirs(os.path.join(root, "docs", "deep", "deeper"))
    os.makedirs(os.path.join(root, "empty-dir"))
    with open(os.path.join(root, "empty"), "wb"):
        pass
    with open(os.path.join(root, "docs", "readme.txt"), "w") as f:
        f.write("coffer consumer test\n" * 100)
    with open(os.path.join(root, "docs", "deep", "deeper", "random.bin"), "wb") as f:
        f.write(rng.randbytes(3 * 1024 * 1024 + 17))
    block = rng.randbytes(256 * 1024)
    with open(os.path.join(root, "repeated.bin"), "wb") as f:
        f.write(block * 6)
    for i in range(20):
        with open(os.path.join(root, "docs", f"small-{i:02d}.dat"), "wb") as f:
            f.write(rng.randbytes(rng.randrange(1, 5000)))


def check_links_installed(program, prefix, static):
    """ldd: a shared consumer resolves libcoffer.so.0 (the SONAME) inside the
    prefix; a static one does not load libcoffer at all."""
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(prefix, LIBDIR))
    out = run(["ldd", program], env=env)
    coffer_lines = [line.strip() for line in out.splitlines() if "libcoffer" in line]
    if static:
        if coffer_lines:
            raise Failure(f"{program} is linked statically but loads {coffer_lines}")
        return
    if len(coffer_lines) != 1 or not coffer_lines[0].startswith("libcoffer.so.0 => "):
        raise Failure(f"{program}: expected one 'libcoffer.so.0 => ...' in ldd output, got "
                      f"{coffer_lines}")
    resolved = os.path.realpath(coffer_lines[0].split("=>")[1].split("(")[0].strip())
    if not resolved.startswith(os.path.realpath(prefix) + os.sep):
        raise Failure(f"{program} loads {resolved}, not the library installed in {prefix}")


def exercise(program, prefix, work, source, static):
    """Round trip through the program, then prove its comparison can fail."""
    check_links_installed(program, prefix, static)
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(prefix, LIBDIR))
    os.makedirs(work)
    out = run([program, "roundtrip", work, source], env=env)
    sys.stdout.write(out)
    restored = os.path.join(work, "restored", os.path.realpath(source).lstrip("/"))
    # An independent check of the program's own comparison.
    for dirpath, _, names in os.walk(source):
        for name in names:
            a = os.path.join(dirpath, name)
            b = os.path.join(restored, os.path.relpath(a, source))
            with open(a, "rb") as fa, open(b, "rb") as fb:
                if fa.read() != fb.read():
                    raise Failure(f"restored {b} differs from {a}")
    # The comparison must notice a single changed byte.
    victim = os.path.join(restored, "docs", "deep", "deeper", "random.bin")
    with open(victim, "r+b") as f:
        f.seek(1024 * 1024)
        byte = f.read(1)
        f.seek(1024 * 1024)
        f.write(bytes([byte[0] ^ 0xFF]))
    run([program, "compare", source, restored], env=env, expect=1)
    print(f"ok: {os.path.basename(program)}", flush=True)


def with_cmake(args, prefix, tmp, source):
    def configure(build, *extra):
        cmd = [args.cmake, "-S", HERE, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}",
               # Only the temporary prefix may satisfy find_package(coffer).
               "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
               "-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF", *extra]
        if args.generator:
            cmd += ["-G", args.generator]
        return run(cmd)

    build = os.path.join(tmp, "build-cmake")
    out = configure(build)
    expected_dir = os.path.join(prefix, LIBDIR, "cmake", "coffer")
    if f"from {expected_dir}" not in out:
        sys.stdout.write(out)
        raise Failure(f"find_package(coffer) did not use {expected_dir}")
    run([args.cmake, "--build", build])
    # Plain find_package(coffer CONFIG REQUIRED), no components: coffer::coffer,
    # and coffer::coffer_static too since its dependencies are installed here.
    plain = os.path.join(tmp, "build-cmake-plain")
    out = configure(plain, "-DCONSUMER_STATIC=OFF")
    if "coffer::coffer_static is available" not in out:
        sys.stdout.write(out)
        raise Failure("find_package(coffer CONFIG) without components left out coffer_static")
    run([args.cmake, "--build", plain])
    for name, static in (("consumer_shared", False), ("consumer_static", True)):
        exercise(os.path.join(build, name), prefix, os.path.join(tmp, "work-" + name), source,
                 static)


def with_pkg_config(args, prefix, tmp, source):
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, LIBDIR, "pkgconfig"))
    # Only the prefix's coffer.pc: fail rather than find another one.
    env.pop("PKG_CONFIG_LIBDIR", None)
    modversion = run([args.pkg_config, "--modversion", "coffer"], env=env).strip()
    if modversion != args.version:
        raise Failure(f"pkg-config says coffer {modversion}, the build is {args.version}")
    cflags = run([args.pkg_config, "--cflags", "coffer"], env=env).split()
    libs = run([args.pkg_config, "--libs", "coffer"], env=env).split()
    include_dirs = [os.path.realpath(flag[2:]) for flag in cflags if flag.startswith("-I")]
    if os.path.realpath(os.path.join(prefix, "include")) not in include_dirs:
        raise Failure(f"pkg-config --cflags coffer does not name {prefix}/include: {cflags}")
    static_libs = run([args.pkg_config, "--static", "--libs", "coffer"], env=env).split()
    # Pick libcoffer.a over libcoffer.so for the static program.
    static_libs = [x for lib in static_libs
                   for x in (["-Wl,-Bstatic", "-lcoffer", "-Wl,-Bdynamic"] if lib == "-lcoffer"
                             else [lib])]
    common = [args.cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
              os.path.join(HERE, "main.c")] + cflags
    shared_program = os.path.join(tmp, "consumer_pc_shared")
    static_program = os.path.join(tmp, "consumer_pc_static")
    run(common + ["-o", shared_program] + libs)
    run(common + ["-o", static_program] + static_libs)
    exercise(shared_program, prefix, os.path.join(tmp, "work-pc-shared"), source, False)
    exercise(static_program, prefix, os.path.join(tmp, "work-pc-static"), source, True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--mode", choices=["cmake", "pkg-config"], required=True)
    parser.add_argument("--version", required=True, help="the project version installed")
    parser.add_argument("--libdir", default="lib", help="CMAKE_INSTALL_LIBDIR of the build")
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--generator", default=None)
    parser.add_argument("--cc", default=os.environ.get("CC", "cc"))
    parser.add_argument("--pkg-config", default="pkg-config")
    args = parser.parse_args()
    global LIBDIR
    LIBDIR = args.libdir

    tmp = tempfile.mkdtemp(prefix="coffer-consumer-")
    try:
        prefix = os.path.join(tmp, "prefix")
        run([args.cmake, "--install", args.build_dir, "--prefix", prefix])
        source = os.path.join(tmp, "source")
        make_source_tree(source)
        if args.mode == "cmake":
            with_cmake(args, prefix, tmp, source)
        else:
            with_pkg_config(args, prefix, tmp, source)
    except Failure as e:
        print(f"FAILED: {e}", flush=True)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("all consumers passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
