"""nncheck.py stands alone (students do not get autograder/): what it repeats of the grader must
stay the grader's."""

from __future__ import annotations

import random

import numpy as np
import torch

from autograder.handout import nncheck
from autograder.submission import probe


def test_the_self_check_seeds_every_generator_as_the_grader_does():
    drawn = []
    threads = torch.get_num_threads()  # the template also limits threads: kept as they are here
    for code in (nncheck.SEED.format(threads=threads), probe.SEED_CODE):
        random.seed(1), np.random.seed(1), torch.manual_seed(1)  # something else first
        exec(code, {})
        drawn.append((random.random(), float(np.random.rand()), torch.rand(3).tolist()))
    assert drawn[0] == drawn[1]
