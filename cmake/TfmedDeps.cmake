# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Header-only dependencies (nlohmann_json, CLI11; stb for the PNG figures in
# lib/CMakeLists.txt) and GoogleTest from the
# system's CMake packages, or, where a machine has none (a GPU box with a
# pip PyTorch and no package manager; scripts/gpu_check.sh), from
# TFMED_DEPS_DIR: include/ with the headers and googletest/ with the sources
# (scripts/gpu_deps_bundle.sh copies Debian's).
set(TFMED_DEPS_DIR "" CACHE PATH "Fallback folder for nlohmann_json, CLI11 and googletest")

function(tfmed_header_dependency package target header)
  find_package(${package} QUIET)
  if(TARGET ${target})
    return()
  endif()
  find_path(TFMED_${package}_INCLUDE ${header} HINTS ${TFMED_DEPS_DIR}/include)
  if(NOT TFMED_${package}_INCLUDE)
    message(FATAL_ERROR "${package}: expected its CMake package or ${header} under "
                        "TFMED_DEPS_DIR/include (Debian: see scripts/debian-packages.txt), found neither")
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${TFMED_${package}_INCLUDE})
  message(STATUS "${package}: headers from ${TFMED_${package}_INCLUDE}")
endfunction()

function(tfmed_gtest_dependency)
  find_package(GTest QUIET)
  if(TARGET GTest::gtest AND TARGET GTest::gtest_main)
    return()
  endif()
  find_path(TFMED_GTEST_SOURCE CMakeLists.txt
            HINTS ${TFMED_DEPS_DIR}/googletest /usr/src/googletest NO_DEFAULT_PATH)
  if(NOT TFMED_GTEST_SOURCE)
    message(FATAL_ERROR "GoogleTest: expected its CMake package or its sources under "
                        "TFMED_DEPS_DIR/googletest, found neither")
  endif()
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
  add_subdirectory(${TFMED_GTEST_SOURCE} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  add_library(GTest::gtest ALIAS gtest)
  add_library(GTest::gtest_main ALIAS gtest_main)
  message(STATUS "GoogleTest: built from ${TFMED_GTEST_SOURCE}")
endfunction()
