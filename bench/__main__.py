"""`python -m bench` (or `make bench`): every benchmark in one run on this machine, ending with
five lines that runs can be compared by:

    dask_vs_jobs: <ratio of wall times, same class, --dask local:N vs --jobs N>
    throughput_vs_nbgrader: <ratio, ours faster when > 1>
    quiz_reference_in_class_vs_alone: <ratio, at most 1.2 when each slot owns its cores>
    mnist_reference: accuracy=<0..1> train_seconds=<s>
    regression_reference: mse_over_noise_floor=<ratio>

Figures are recorded in bench/RESULTS.md. Options: --students N (default 20), --jobs N, --quiz-students N (default 6),
--dask-workers N (default 2).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

from . import cluster, gradebook_step, mnist_reference, quiz_slots, regression, throughput


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--quiz-students", type=int, default=len(quiz_slots.ORDER))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="for the neural_nets class")
    parser.add_argument(
        "--dask-workers", type=int, default=2, help="LocalCluster workers, compared with --jobs of the same"
    )
    args = parser.parse_args(argv)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    grading = throughput.run(args.students, args.jobs)
    print(
        f"grading {grading['submissions']} neural_nets submissions: ours {grading['ours_seconds']:.1f} s "
        f"(jobs={grading['jobs']}), nbgrader autograde {grading['nbgrader_seconds']:.1f} s"
    )
    print(
        f"notebooks' own execution: {grading['own_seconds_per_submission']:.1f} s per submission; "
        f"our overhead beyond it: {grading['overhead_seconds_per_submission']:.1f} s per submission"
    )
    print(
        f"peak memory: ours {grading['ours_peak_mb']:.0f} MB, nbgrader {grading['nbgrader_peak_mb']:.0f} MB", flush=True
    )
    quiz = quiz_slots.run(args.quiz_students)
    plan = quiz["plan"]
    print(
        f"grading {args.quiz_students} mnist_quiz submissions with the defaults ({plan.jobs} at a time, "
        f"{plan.cores} cores each): "
        + ", ".join(f"{s} {t:.1f} s" for s, t in quiz["defaults"]["seconds"].items())
        + f"; wall {quiz['defaults']['wall']:.1f} s"
    )
    print(
        "the same with --jobs 1: "
        + ", ".join(f"{s} {t:.1f} s" for s, t in quiz["jobs1"]["seconds"].items())
        + f"; wall {quiz['jobs1']['wall']:.1f} s"
    )
    print(f"the quiz reference graded alone: {quiz['alone']:.1f} s", flush=True)
    dask = cluster.run(args.students, args.dask_workers)
    print(
        f"grading {dask['submissions']} neural_nets submissions on {dask['workers']} workers: --jobs "
        f"{dask['jobs_seconds']:.1f} s, --dask local:{dask['workers']} {dask['dask_seconds']:.1f} s "
        f"(same grades.csv: {dask['same_grades']})"
    )
    print(
        f"dask: cluster start with checked slots and zygotes {dask['connect_seconds']:.1f} s; overhead per task "
        f"{dask['overhead_seconds_per_task']:.2f} s; a trivial 100 KB task "
        f"{dask['task_round_trip_seconds'] * 1000:.1f} ms; "
        f"result {dask['result_kb']:.0f} KB per submission; peak per worker {dask['peak_mb_per_worker']:.0f} MB"
    )
    for subs, workers in ((1000, 10), (10000, 100)):
        hours = cluster.projection(dask["worker_seconds_per_submission"], dask["connect_seconds"], subs, workers) / 3600
        print(f"projection: {subs} submissions on {workers} workers: {hours:.2f} h")
    book = gradebook_step.run(args.quiz_students)
    print(
        f"--gradebook for {book['students']} mnist_quiz submissions ({book['figures']} plotly figures drawn): "
        f"nbgrader records the assignment {book['prepare_seconds']:.1f} s, gradebook and autograded "
        f"notebooks {book['record_seconds']:.1f} s, again with nothing changed {book['rerun_seconds']:.1f} s",
        flush=True,
    )
    mnist = mnist_reference.run()
    regress = regression.run()
    print(f"regression: test MSE {regress['test_mse']:.4f}, noise floor {regress['noise_floor']:.4f} (standardized)")
    print(f"dask_vs_jobs: {dask['ratio']:.2f}")
    print(f"throughput_vs_nbgrader: {grading['ratio']:.2f}")
    print(f"quiz_reference_in_class_vs_alone: {quiz['ratio']:.2f}")
    print(f"mnist_reference: accuracy={mnist['accuracy']:.4f} train_seconds={mnist['train_seconds']:.1f}")
    print(f"regression_reference: mse_over_noise_floor={regress['mse_over_noise_floor']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
