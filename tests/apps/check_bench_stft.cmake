# Run `tfmed bench stft` briefly and check the JSON has every figure, all > 0.
execute_process(
  COMMAND ${TFMED} bench stft --seconds 0.02 --case 64:16 --case 16:1 --json ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tfmed bench stft failed (${rc}):\n${out}\n${err}")
endif()
file(READ ${OUT} json)
string(JSON n LENGTH "${json}")
if(NOT n EQUAL 2)
  message(FATAL_ERROR "expected 2 rows in ${OUT}, found ${n}")
endif()
foreach(i 0 1)
  foreach(key core_samples_per_s fftw_loop_samples_per_s block_samples_per_s
              gnuradio_chain_samples_per_s)
    string(JSON v GET "${json}" ${i} ${key})
    if(NOT v GREATER 0)
      message(FATAL_ERROR "row ${i}: expected ${key} > 0, found ${v}")
    endif()
  endforeach()
endforeach()
message(STATUS "${out}")

# A frame longer than the loops' signal is refused before anything runs (it
# read past the end of the 2^20-sample noise).
execute_process(
  COMMAND ${TFMED} bench stft --seconds 0.02 --case 2000000:1000000 --no-graphs
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "N_FFT <= 262144")
  message(FATAL_ERROR "expected n_fft 2000000 refused naming the limit, rc ${rc}:\n${out}\n${err}")
endif()
