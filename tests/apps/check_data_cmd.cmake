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
# `-` is standard output for text (after the report), refused for a PNG.
file(REMOVE ${OUT}/-)
execute_process(COMMAND ${TFMED} data rpeaks ${rec}.hea --json - WORKING_DIRECTORY ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "positive predictivity 99.96 %\n{\n \"beats\": 2273,"
   OR EXISTS ${OUT}/-)
  message(FATAL_ERROR "tfmed data rpeaks --json -: expected the report, then the JSON on "
                      "standard output and no file '-', got rc ${rc}:\n${out}${err}")
endif()
execute_process(COMMAND ${TFMED} data plot ${rec}.hea --from 5 --to 6 -o - WORKING_DIRECTORY ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "-: expected a file for a PNG" OR EXISTS ${OUT}/-)
  message(FATAL_ERROR "tfmed data plot -o -: expected a refusal, got rc ${rc}: ${out}${err}")
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
# --from on a sample's time starts there: 1.15 s * 360 Hz is 413.99999999999994
# (the plot started at sample 413, 1.147 s); --to is exclusive.
execute_process(COMMAND ${TFMED} data plot ${rec} --from 1.15 --to 2.3 -o ${OUT}/round.png
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "1.150..2.300 s")
  message(FATAL_ERROR "tfmed data plot --from 1.15 --to 2.3: expected 1.150..2.300 s, got "
                      "rc ${rc}: ${out}${err}")
endif()
# A span between two samples holds none: said so (it read "past the end").
execute_process(COMMAND ${TFMED} data plot ${rec} --from 1512.001 --to 1512.002
  -o ${OUT}/between.png RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "no sample in \\[1512.001, 1512.002\\) s" OR EXISTS ${OUT}/between.png)
  message(FATAL_ERROR "tfmed data plot between two samples: expected 'no sample in', got rc "
                      "${rc}: ${err}")
endif()
# The record's own files are inputs: `-o 100.dat` wrote a PNG over the signals.
file(REMOVE_RECURSE ${OUT}/own)
file(MAKE_DIRECTORY ${OUT}/own)
file(COPY ${rec}.hea ${rec}.dat ${rec}.atr DESTINATION ${OUT}/own)
file(SHA256 ${OUT}/own/100.dat before)
foreach(victim 100.dat 100.hea 100.atr)
  execute_process(COMMAND ${TFMED} data plot ${OUT}/own/100 --from 0 --to 1 -o ${OUT}/own/${victim}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "tfmed data plot -o ${victim}: expected a refusal (an input of the record)")
  endif()
endforeach()
file(SHA256 ${OUT}/own/100.dat after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "tfmed data plot: the record's signal file changed")
endif()
execute_process(COMMAND ${TFMED} data inspect ${OUT}/own/100 RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tfmed data inspect of the copied record after the refusals: ${err}")
endif()
# .npy arrays with no finite value, none at all, or float64 beyond float32:
# said so (they printed "range inf .. -inf"); a 1-D shape as numpy writes it.
if(PYTHON)
  execute_process(COMMAND ${PYTHON} -c "import numpy as n; n.save('${OUT}/nan.npy', n.array([n.nan, n.inf], 'f4')); n.save('${OUT}/empty.npy', n.zeros(0, 'f4')); n.save('${OUT}/big.npy', n.array([1e300, 2.0, -3.0]))"
    RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    foreach(spec "nan.npy;shape \\(2,\\)\n  no finite value \\(2 not finite"
                 "empty.npy;shape \\(0,\\)\n  no values"
                 "big.npy;shape \\(3,\\)\n  range +-3 \\.\\. 2 +1 not finite \\(NaN, Inf, or beyond float32")
      list(GET spec 0 f)
      list(GET spec 1 want)
      execute_process(COMMAND ${TFMED} data inspect ${OUT}/${f} RESULT_VARIABLE rc
        OUTPUT_VARIABLE out ERROR_VARIABLE err)
      if(NOT rc EQUAL 0 OR NOT out MATCHES "${want}")
        message(FATAL_ERROR "tfmed data inspect ${f}: expected '${want}', got rc ${rc}: ${out}${err}")
      endif()
    endforeach()
  endif()
endif()
# A multi-segment record's segment files are inputs too.
foreach(victim 041s01.dat 041s01.hea 041s.hea)
  execute_process(COMMAND ${TFMED} data plot ${OUT}/lazy/041s.hea --from 0 --to 1
    -o ${OUT}/lazy/${victim} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "tfmed data plot -o ${victim} of a multi-segment record: expected a "
                        "refusal (a file of the record)")
  endif()
endforeach()
execute_process(COMMAND ${TFMED} data inspect ${OUT}/lazy/041s01.hea RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the segment read after the refusals: ${err}")
endif()
# Just past the last sample (1805.5528 s) of a record whose header gives its
# length: past the end, naming the last sample (it said "(1805.556 s)").
execute_process(COMMAND ${TFMED} data plot ${rec} --from 1805.555 --to 1806 -o ${OUT}/end.png
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "past the end of the record \\(its last sample at 1805.55278 s\\)")
  message(FATAL_ERROR "tfmed data plot --from 1805.555: expected past the end with the last "
                      "sample's time, got rc ${rc}: ${err}")
endif()
# A header without a length: the reader finds the end, in samples; the
# message says which --from that sample is.
execute_process(COMMAND ${TFMED} data plot ${DATA}/wfdb_sample/100-no-len --from 5000 --to 5001
  -o ${OUT}/nolen.png RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "--from 5000 s \\(sample 1800000 at 360 Hz\\): ")
  message(FATAL_ERROR "tfmed data plot past the end of a header without a length: expected "
                      "--from named with its sample, got rc ${rc}: ${err}")
endif()
# Option values that meant nothing were taken without a word: `--channels ''`
# plotted channel 0, `--channels 0,0` one trace twice, `rpeaks --channel ''`
# the first channel, `--window 0.001` printed "0 detections" with exit 0.
cmake_policy(SET CMP0007 NEW) # (the lists below hold empty values)
foreach(spec "plot;--channels;;expected a value, found an empty one"
             "plot;--channels;0,0;expected each channel once, found 0 in places 1 and 2"
             "rpeaks;--channel;;expected a value, found an empty one"
             "rpeaks;--window;0.001;expected 0 \\(the whole record\\) or a finite number of seconds >= 2, found 0.001")
  list(GET spec 0 cmd)
  list(GET spec 1 opt)
  list(GET spec 2 val)
  list(GET spec 3 want)
  execute_process(COMMAND ${TFMED} data ${cmd} ${rec}.hea ${opt} "${val}" -o ${OUT}/refused.png
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(cmd STREQUAL "rpeaks")
    execute_process(COMMAND ${TFMED} data ${cmd} ${rec}.hea ${opt} "${val}"
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  endif()
  if(rc EQUAL 0 OR NOT err MATCHES "${want}" OR EXISTS ${OUT}/refused.png)
    message(FATAL_ERROR "tfmed data ${cmd} ${opt} '${val}': expected '${want}', got rc ${rc}: "
                        "${out}${err}")
  endif()
endforeach()
# A CSV's columns with their ranges and the cells that are no finite number
# (it printed the column names only; .npy said so already).
file(WRITE ${OUT}/cells.csv "a,b\n1,2\nnan,3\n4,\n-1,1e400\n")
execute_process(COMMAND ${TFMED} data inspect ${OUT}/cells.csv RESULT_VARIABLE rc
  OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "a +range +-1 \\.\\. 4 +1 not finite"
   OR NOT out MATCHES "b +range +2 \\.\\. 3 +2 not finite")
  message(FATAL_ERROR "tfmed data inspect cells.csv: expected each column's range and its "
                      "non-finite cells, got rc ${rc}: ${out}${err}")
endif()
# A WFDB header with no signals: named (the messages came from save_figure
# and check_rpeaks).
file(WRITE ${OUT}/nosig.hea "nosig 0 360 1000\n")
foreach(cmd plot rpeaks)
  execute_process(COMMAND ${TFMED} data ${cmd} ${OUT}/nosig.hea RESULT_VARIABLE rc
    OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "nosig.hea: expected at least one signal")
    message(FATAL_ERROR "tfmed data ${cmd} of a record without signals: expected it named, got "
                        "rc ${rc}: ${out}${err}")
  endif()
endforeach()
