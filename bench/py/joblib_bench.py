"""joblib side of the parajob benchmarks: the same workloads, measured the same way.

Run by bench/run.mjs as `python3 joblib_bench.py '<json spec>'`; prints one line
`RESULT {json}` (the harness reads it). Needs joblib (Debian: `apt-get install python3-joblib`);
the large-data workload also needs numpy (`apt-get install python3-numpy`).
"""
import json
import os
import sys
import time


def square(x):
    return x * x


def burn(iters, seed):
    # the same integer loop as bench/work.mjs (32-bit wrap-around), calibrated to ~10 ms
    h = seed
    for i in range(iters):
        h ^= h >> 15
        h = ((h * 0x2C1B3C6D) + i) & 0xFFFFFFFF
    return h


def slice_sum(data, start, end):
    return float(data[start:end].sum())


def proc_field(pid, name, field):
    try:
        with open(f"/proc/{pid}/{name}") as f:
            for line in f:
                if line.startswith(field + ":"):
                    parts = line.split()
                    return int(parts[1]) * (1024 if name == "status" else 1)
    except OSError:
        pass
    return 0


def descendants(pid):
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(c) for c in f.read().split()]
            except OSError:
                kids = []
            out.extend(kids)
            stack.extend(kids)
    return out


def overhead(spec):
    from joblib import Parallel, delayed

    n, n_jobs = spec["n"], spec["nJobs"]
    if spec.get("fresh"):
        # joblib's README idiom: a fresh Parallel per call (loky's executor is reused across calls)
        Parallel(n_jobs=n_jobs, backend=spec["backend"])(delayed(square)(i) for i in range(2 * n_jobs))
        t0 = time.perf_counter()
        out = Parallel(n_jobs=n_jobs, backend=spec["backend"])(delayed(square)(i) for i in range(n))
        ms = (time.perf_counter() - t0) * 1000
    else:
        with Parallel(n_jobs=n_jobs, backend=spec["backend"]) as parallel:
            parallel(delayed(square)(i) for i in range(2 * n_jobs))  # warm the pool
            t0 = time.perf_counter()
            out = parallel(delayed(square)(i) for i in range(n))
            ms = (time.perf_counter() - t0) * 1000
    assert len(out) == n and out[-1] == (n - 1) ** 2
    return {"ms": ms}


def scaling(spec):
    n, iters = spec["n"], spec["iters"]
    if spec["kind"] == "loop":
        t0 = time.perf_counter()
        out = [burn(iters, i) for i in range(n)]
        ms = (time.perf_counter() - t0) * 1000
    else:
        from joblib import Parallel, delayed

        with Parallel(n_jobs=spec["nJobs"], backend=spec["backend"]) as parallel:
            parallel(delayed(burn)(1, i) for i in range(2 * spec["nJobs"]))
            t0 = time.perf_counter()
            out = parallel(delayed(burn)(iters, i) for i in range(n))
            ms = (time.perf_counter() - t0) * 1000
    assert len(out) == n and out[-1] == burn(iters, n - 1)
    return {"ms": ms}


def calibrate(spec):
    # CPU time of this process, not wall time: competing processes must not shrink the task
    target = spec.get("targetMs", 10)
    iters = 10_000
    while True:
        t0 = time.process_time()
        burn(iters, 1)
        if time.process_time() - t0 > 0.02:
            break
        iters *= 2
    samples = []
    for k in range(5):
        t0 = time.process_time()
        burn(iters, k)
        samples.append(time.process_time() - t0)
    samples.sort()
    per_iter_ms = samples[len(samples) // 2] * 1000 / iters
    return {"iters": round(target / per_iter_ms)}


def large_data(spec):
    import numpy as np
    from joblib import Parallel, delayed

    n, n_jobs = spec["n"], spec["nJobs"]
    length = spec["mb"] * 1_000_000 // 8
    data = np.arange(length, dtype=np.float64) % 1000
    step = -(-length // n)
    expected = float(data.sum())
    me = os.getpid()
    with Parallel(n_jobs=n_jobs, backend="loky") as parallel:  # max_nbytes='1M': memmapped
        parallel(delayed(slice_sum)(np.zeros(4), 0, 4) for _ in range(2 * n_jobs))
        wrote0 = proc_field(me, "io", "wchar")
        t0 = time.perf_counter()
        out = parallel(delayed(slice_sum)(data, i * step, min((i + 1) * step, length)) for i in range(n))
        ms = (time.perf_counter() - t0) * 1000
        wrote = proc_field(me, "io", "wchar") - wrote0
        kids = descendants(me)
        workers_hwm = sum(proc_field(p, "status", "VmHWM") for p in kids)
        workers_read = sum(proc_field(p, "io", "rchar") for p in kids)
    total = sum(out)
    assert abs(total - expected) <= 1e-6 * abs(expected), (total, expected)
    return {
        "ms": ms,
        "arrayBytes": int(data.nbytes),
        "selfHwm": proc_field(me, "status", "VmHWM"),
        "workersHwm": workers_hwm,
        "workerProcesses": len(kids),
        "parentWrote": wrote,
        "workersRead": workers_read,
    }


def cold_start(spec):
    from joblib import Parallel, delayed

    out = Parallel(n_jobs=2, backend=spec.get("backend", "loky"))(delayed(square)(i) for i in range(10))
    assert out[9] == 81
    return {}


WORKLOADS = {
    "overhead": overhead,
    "scaling": scaling,
    "calibrate": calibrate,
    "large-data": large_data,
    "cold-start": cold_start,
}

if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    try:
        result = WORKLOADS[spec["workload"]](spec)
    except Exception as err:  # reported to the harness, which shows it in the table
        result = {"error": f"{type(err).__name__}: {err}"[:500]}
    print("RESULT " + json.dumps(result), flush=True)
    sys.exit(1 if "error" in result else 0)
