# Python for the bindings: GNU Radio's own interpreter. Another python3 may come
# first on the PATH (pyenv, venv); its modules cannot load GNU Radio's.
if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "GNU Radio's Python")
endif()
find_package(Python3 COMPONENTS Interpreter Development.Module REQUIRED)
find_package(pybind11 REQUIRED)

# Where the package goes. GNU Radio's GrPython.cmake (found with GNU Radio)
# computes GR_PYTHON_DIR relative to the install prefix and honours
# -DGR_PYTHON_DIR=...; on Debian it is lib/python3.X/dist-packages, which
# /usr/bin/python3 reads for both /usr and /usr/local (site-packages would
# not be on its path).
if(NOT GR_PYTHON_DIR)
  execute_process(COMMAND ${Python3_EXECUTABLE} -c
    "import sys; print('lib/python%d.%d/dist-packages' % sys.version_info[:2])"
    OUTPUT_VARIABLE GR_PYTHON_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
if(IS_ABSOLUTE "${GR_PYTHON_DIR}")
  set(TFMED_PYTHON_DIR_FULL ${GR_PYTHON_DIR})
else()
  set(TFMED_PYTHON_DIR_FULL ${CMAKE_INSTALL_PREFIX}/${GR_PYTHON_DIR})
endif()
set(TFMED_GRC_DIR ${CMAKE_INSTALL_DATADIR}/gnuradio/grc/blocks)
