"""xavier_core: Xavier/Glorot initialization as a framework-free spec (numpy at most).

Glorot & Bengio (2010) derive Var[W] = 2 / (fan_in + fan_out). This package defines that once:
fans for every weight layout (:func:`compute_fans`), gains (:func:`calculate_gain`), the
variance-scaling family (:class:`VarianceScaling`) and the exact distributions it draws from, each
able to state its bound, moments and CDF. The adapters turn it into native initializers.
"""

from xavier_core import portable, rules
from xavier_core.complex_laws import (
    COMPLEX_DTYPES,
    ComplexLaw,
    complex_law,
    is_complex,
    part_dtype,
)
from xavier_core.distributions import (
    DISTRIBUTIONS,
    TRUNCATED_STD_FACTOR,
    TRUNCATION_CUT,
    Distribution,
    DistributionName,
    Normal,
    TruncatedNormal,
    Uniform,
    truncated_std_factor,
)
from xavier_core.dtypes import (
    FLOAT_DTYPES,
    LOW_PRECISION_DTYPES,
    check_drawable,
    dtype_name,
    sampling_dtype,
)
from xavier_core.einsum import einsum_layout
from xavier_core.errors import XavierError
from xavier_core.fans import (
    CHANNELS_LAST,
    DEPTHWISE_CHANNELS_LAST,
    KERAS_TRANSPOSED,
    TORCH,
    TORCH_TRANSPOSED,
    Fans,
    Layout,
    compute_fans,
    global_shape,
    keras_small_rank_fans,
)
from xavier_core.gain import NONLINEARITIES, calculate_gain, check_gain
from xavier_core.portable import PortableKey
from xavier_core.record import STATES, InitRecord, InitReport, State, UnhandledWarning, render_table
from xavier_core.rules import GlobTable, RuleRegistry
from xavier_core.spec import (
    MODES,
    Mode,
    ResolvedInit,
    VarianceScaling,
    glorot,
    glorot_normal,
    glorot_truncated_normal,
    glorot_uniform,
    he,
    kaiming,
    lecun,
    standard_uniform,
)

__version__ = "0.1.0"

__all__ = [
    "CHANNELS_LAST",
    "COMPLEX_DTYPES",
    "DEPTHWISE_CHANNELS_LAST",
    "DISTRIBUTIONS",
    "FLOAT_DTYPES",
    "KERAS_TRANSPOSED",
    "LOW_PRECISION_DTYPES",
    "MODES",
    "NONLINEARITIES",
    "STATES",
    "TORCH",
    "TORCH_TRANSPOSED",
    "TRUNCATED_STD_FACTOR",
    "TRUNCATION_CUT",
    "ComplexLaw",
    "Distribution",
    "DistributionName",
    "Fans",
    "GlobTable",
    "InitRecord",
    "InitReport",
    "Layout",
    "Mode",
    "Normal",
    "PortableKey",
    "ResolvedInit",
    "RuleRegistry",
    "State",
    "TruncatedNormal",
    "UnhandledWarning",
    "Uniform",
    "VarianceScaling",
    "XavierError",
    "calculate_gain",
    "check_drawable",
    "check_gain",
    "complex_law",
    "compute_fans",
    "dtype_name",
    "einsum_layout",
    "global_shape",
    "glorot",
    "glorot_normal",
    "glorot_truncated_normal",
    "glorot_uniform",
    "he",
    "is_complex",
    "kaiming",
    "keras_small_rank_fans",
    "lecun",
    "part_dtype",
    "portable",
    "render_table",
    "rules",
    "sampling_dtype",
    "standard_uniform",
    "truncated_std_factor",
]
