"""`python -m bench` (or `make bench`): every benchmark in one run on this machine, ending with
three lines that runs can be compared by:

    throughput_vs_nbgrader: <ratio, ours faster when > 1>
    mnist_reference: accuracy=<0..1> train_seconds=<s>
    regression_reference: mse_over_noise_floor=<ratio>

Figures are recorded in bench/RESULTS.md. Options: --students N (default 20), --jobs N.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

from . import mnist_reference, regression, throughput


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    grading = throughput.run(args.students, args.jobs)
    print(f"grading {grading['submissions']} neural_nets submissions: ours {grading['ours_seconds']:.1f} s "
          f"(jobs={grading['jobs']}), nbgrader autograde {grading['nbgrader_seconds']:.1f} s")
    print(f"notebooks' own execution: {grading['own_seconds_per_submission']:.1f} s per submission; "
          f"our overhead beyond it: {grading['overhead_seconds_per_submission']:.1f} s per submission")
    print(f"peak memory: ours {grading['ours_peak_mb']:.0f} MB, nbgrader {grading['nbgrader_peak_mb']:.0f} MB", flush=True)
    mnist = mnist_reference.run()
    regress = regression.run()
    print(f"regression: test MSE {regress['test_mse']:.4f}, noise floor {regress['noise_floor']:.4f} (standardized)")
    print(f"throughput_vs_nbgrader: {grading['ratio']:.2f}")
    print(f"mnist_reference: accuracy={mnist['accuracy']:.4f} train_seconds={mnist['train_seconds']:.1f}")
    print(f"regression_reference: mse_over_noise_floor={regress['mse_over_noise_floor']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
