# Small helpers shared by the project's CMakeLists; nothing else lives here.

# photon_add_unittest(<target> <sources...> [LIBS <libs...>])
# A GoogleTest binary; lit runs it (test/Unit), so it is part of check-photon.
function(photon_add_unittest target)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  find_package(GTest REQUIRED)
  add_executable(${target} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${target} PRIVATE GTest::gtest GTest::gtest_main ${ARG_LIBS})
  target_compile_options(${target} PRIVATE ${PHOTON_WARNINGS})
  set_target_properties(${target} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/unittests)
  set_property(GLOBAL APPEND PROPERTY PHOTON_UNITTESTS ${target})
endfunction()
