# `tfmed data inspect` prints what the files hold; `tfmed data plot` writes a PNG.
set(rec ${DATA}/wfdb_sample/100)
if(NOT EXISTS ${rec}.hea)
  message("SKIP: ${rec}.hea not found (the shared data sets are not on this machine)")
  return()
endif()
execute_process(COMMAND ${TFMED} data inspect ${rec}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tfmed data inspect failed (${rc}): ${err}")
endif()
foreach(want "samples       650000 per channel" "annotations   2274 \\(2273 beats\\)"
             "'N' +2239  beat" "'A' +33  beat" "'V' +1  beat" "MLII +mV")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "tfmed data inspect: expected '${want}' in:\n${out}")
  endif()
endforeach()
file(REMOVE ${OUT}/record100.png)
execute_process(COMMAND ${TFMED} data plot ${rec}.hea --from 5 --to 15 -o ${OUT}/record100.png
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tfmed data plot failed (${rc}): ${err}")
endif()
if(NOT out MATCHES "2 channel\\(s\\), 5.000..15.000 s, 13 annotation marker\\(s\\)")
  message(FATAL_ERROR "tfmed data plot: unexpected summary: ${out}")
endif()
file(READ ${OUT}/record100.png head LIMIT 8 HEX)
if(NOT head STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "tfmed data plot: ${OUT}/record100.png is not a PNG (${head})")
endif()
file(SIZE ${OUT}/record100.png size)
if(size LESS 20000)
  message(FATAL_ERROR "tfmed data plot: PNG of ${size} bytes is too small to hold the traces")
endif()
# --channels as the README writes it (comma-separated) and one channel alone.
foreach(spec "0,1;2" "1;1")
  list(GET spec 0 chans)
  list(GET spec 1 n)
  execute_process(COMMAND ${TFMED} data plot ${rec}.hea --from 5 --to 6 --channels ${chans}
    -o ${OUT}/chans.png RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out MATCHES " ${n} channel\\(s\\), 5.000..6.000 s")
    message(FATAL_ERROR "tfmed data plot --channels ${chans}: expected ${n} channel(s), "
                        "got rc ${rc}: ${out}${err}")
  endif()
endforeach()
execute_process(COMMAND ${TFMED} data plot ${rec}.hea --from 5 --to 6 --channels 0,2
  -o ${OUT}/chans.png RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "channel 2")
  message(FATAL_ERROR "tfmed data plot --channels 0,2 of a 2-channel record: expected a "
                      "clear error naming channel 2, got rc ${rc}: ${err}")
endif()
# --to far past the end plots to the end (the sample count must not overflow).
execute_process(COMMAND ${TFMED} data plot ${rec}.hea --from 1800 --to 1e17 -o ${OUT}/tail.png
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "1800.000..1805.556 s")
  message(FATAL_ERROR "tfmed data plot --to 1e17: expected the last 5.556 s, got rc ${rc}: "
                      "${out}${err}")
endif()
execute_process(COMMAND ${TFMED} data plot ${rec} --from 4000 --to 4010 -o ${OUT}/none.png
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "is past the end of the record" OR EXISTS ${OUT}/none.png)
  message(FATAL_ERROR "tfmed data plot past the end: expected a clear error and no file, "
                      "got rc ${rc}: ${err}")
endif()
# A multi-segment record is read for the plotted span only: with its second
# segment absent, the first second (in the first segment) still plots.
set(ms ${DATA}/wfdb_sample/multi-segment/041s)
file(REMOVE_RECURSE ${OUT}/lazy)
file(MAKE_DIRECTORY ${OUT}/lazy)
file(COPY ${ms}/041s.hea ${ms}/041s01.hea ${ms}/041s01.dat DESTINATION ${OUT}/lazy)
execute_process(COMMAND ${TFMED} data plot ${OUT}/lazy/041s.hea --from 0 --to 1 -o ${OUT}/lazy/p.png
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "6 channel\\(s\\), 0.000..1.000 s")
  message(FATAL_ERROR "tfmed data plot of the first segment opened more than it needs "
                      "(rc ${rc}): ${out}${err}")
endif()
