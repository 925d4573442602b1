# tfmed_add_gtest(<name> <sources...> [LIBS <libs...>])
# One GoogleTest executable per unit, registered as one CTest test; GTEST_SKIP
# shows up as a skipped test (exit code 77 via --gtest_fail_if_no_test_run off).
function(tfmed_add_gtest name)
  cmake_parse_arguments(T "" "" "LIBS" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  target_link_libraries(${name} PRIVATE tfmed-core GTest::gtest GTest::gtest_main
                        nlohmann_json::nlohmann_json ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
endfunction()
