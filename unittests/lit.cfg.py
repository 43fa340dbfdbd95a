# -*- Python -*-
# Runs every GoogleTest binary (build/unittests/*Tests) as part of the suite.
import os
import lit.formats

config.name = "Photon-Unit"
config.test_source_root = os.path.join(config.photon_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
