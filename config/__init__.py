"""Configuration: a typed schema (:mod:`config.schema`) and its loader.

Load once at an entry point with :func:`load_config` and pass the result down.
"""

from config.loader import DEFAULT_CONFIG, ConfigError, ConfigProblem, load_config, parse_config
from config.schema import Config

__all__ = ["DEFAULT_CONFIG", "Config", "ConfigError", "ConfigProblem", "load_config",
           "parse_config"]
