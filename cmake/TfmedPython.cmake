# Where the Python package and GRC files go.
#
# GNU Radio 3.10's GR_PYTHON_DIR logic can pick a site-packages directory that
# Debian's python3 never reads (STYLE.md, pitfall 5). Decide it plainly from the
# interpreter GNU Radio uses, and let -DGR_PYTHON_DIR=... override it:
#   Debian, prefix /usr        -> /usr/lib/python3/dist-packages (beside gnuradio)
#   Debian, any other prefix   -> <prefix>/lib/python3.X/dist-packages
#   elsewhere                  -> <prefix>/lib/python3.X/site-packages
if(NOT GR_PYTHON_DIR)
  execute_process(
    COMMAND ${Python3_EXECUTABLE} -c "
import sys
prefix = sys.argv[1].rstrip('/')
debian = '/usr/lib/python3/dist-packages' in sys.path
ver = 'python%d.%d' % sys.version_info[:2]
if debian and prefix == '/usr':
    print('/usr/lib/python3/dist-packages')
else:
    print('%s/lib/%s/%s' % (prefix, ver, 'dist-packages' if debian else 'site-packages'))
" ${CMAKE_INSTALL_PREFIX}
    OUTPUT_VARIABLE _pydir OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(GR_PYTHON_DIR ${_pydir} CACHE PATH "Where the gnuradio.tfmed package is installed")
endif()
set(TFMED_GRC_DIR ${CMAKE_INSTALL_DATADIR}/gnuradio/grc/blocks)
