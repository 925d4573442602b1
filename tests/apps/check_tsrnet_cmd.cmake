# tfmed data rpeaks / train / eval / info / bench tsrnet on the shared data:
# the R-peak check on record 100, a smoke-sized training run that is split
# and resumed (bit-identical weights to the uninterrupted run), evaluation
# with JSON and ROC PNG, and clear errors.
set(rec ${DATA}/wfdb_sample/100)
if(NOT EXISTS ${rec}.hea OR NOT EXISTS ${DATA}/mitdb_compiled10s/X_mV.npy)
  message("SKIP: ${DATA} lacks wfdb_sample/100 or mitdb_compiled10s")
  return()
endif()
function(run_ok what)
  execute_process(COMMAND ${TFMED} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tfmed ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

run_ok("data rpeaks" data rpeaks ${rec}.hea --channel MLII)
if(NOT out MATCHES "2273 annotated beats" OR
   NOT out MATCHES "sensitivity 99\\.[0-9][0-9] %, positive predictivity 99\\.[0-9][0-9] %")
  message(FATAL_ERROR "tfmed data rpeaks: expected >= 99 % on record 100:\n${out}")
endif()

set(common tsrnet --data mitdb_compiled10s --data-dir ${DATA} --width 4 --d-model 8
           --epochs 2 --batch 8 --max-windows 16 --threads 1 --lr 1e-3)
file(REMOVE ${OUT}/a.tfm ${OUT}/a.tfm.ckpt ${OUT}/b.tfm ${OUT}/b.tfm.ckpt ${OUT}/a.json
     ${OUT}/a.png ${OUT}/eval.json ${OUT}/roc.png)
run_ok("train" train ${common} -o ${OUT}/a.tfm --json ${OUT}/a.json --plot ${OUT}/a.png)
if(NOT out MATCHES "model .*a.tfm: [0-9]+ parameters, best epoch [12]")
  message(FATAL_ERROR "tfmed train: unexpected summary:\n${out}")
endif()
run_ok("train (first half)" train ${common} -o ${OUT}/b.tfm --stop-after 1)
if(NOT out MATCHES "stopped after epoch 1 of 2")
  message(FATAL_ERROR "tfmed train --stop-after: unexpected output:\n${out}")
endif()
run_ok("train --resume" train ${common} -o ${OUT}/b.tfm --resume)
run_ok("info a" info ${OUT}/a.tfm.ckpt)
string(REGEX MATCH "FNV-1a 64 [0-9a-f]+" da "${out}")
run_ok("info b" info ${OUT}/b.tfm.ckpt)
string(REGEX MATCH "FNV-1a 64 [0-9a-f]+" db "${out}")
if(da STREQUAL "" OR NOT da STREQUAL db)
  message(FATAL_ERROR "resumed run differs from the uninterrupted one: '${da}' vs '${db}'")
endif()
# Two named leads: R peaks on MLII (the default index 1 of the 12-lead order
# put them on V5 here).
file(REMOVE ${OUT}/two.tfm ${OUT}/two.tfm.ckpt)
run_ok("train two leads" train tsrnet --data ${rec}.hea --channels MLII,V5 --width 4 --d-model 8
       --epochs 1 --batch 8 --max-windows 16 --threads 1 -o ${OUT}/two.tfm)
run_ok("info two" info ${OUT}/two.tfm)
if(NOT out MATCHES "\"rpeak_lead\": 0")
  message(FATAL_ERROR "tfmed train tsrnet --channels MLII,V5: expected rpeak_lead 0 (MLII):\n${out}")
endif()
# A record trained without --channels (its first signal) and with
# --drop-invalid (nothing to drop) resumes: the card recorded the channel it
# resolved to and "drop_invalid" only when a window was dropped, so --resume
# refused "channels [MLII] -> []" and "drop_invalid 0 -> 1".
set(rec_common train tsrnet --data ${rec}.hea --drop-invalid --width 4 --d-model 8 --epochs 2
               --batch 8 --max-windows 16 --threads 1 -o ${OUT}/r.tfm)
file(REMOVE ${OUT}/r.tfm ${OUT}/r.tfm.ckpt)
run_ok("train a record, first half" ${rec_common} --stop-after 1)
run_ok("train a record --resume" ${rec_common} --resume)
if(NOT EXISTS ${OUT}/r.tfm)
  message(FATAL_ERROR "train a record --resume: no model written:\n${out}\n${err}")
endif()
# Another lead than the one learned: said (leads were checked by count only).
run_ok("eval on V5" eval tsrnet ${OUT}/r.tfm --data ${rec}.hea --channels V5 --split all
       --json ${OUT}/rv5.json)
file(READ ${OUT}/rv5.json rv5)
if(NOT rv5 MATCHES "scored on channel\\(s\\) V5 of the data; the model was trained on MLII")
  message(FATAL_ERROR "eval --channels V5 of an MLII model: expected a note:\n${rv5}")
endif()
# Options of another kind of data are refused, not ignored.
execute_process(COMMAND ${TFMED} train tsrnet --data ${rec}.hea --rate 360 -o ${OUT}/c.tfm
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "--rate: only for .npy/.csv windows \\(the rows' rate\\); --data is")
  message(FATAL_ERROR "train --rate on a record: expected a refusal, got ${rc}: ${err}")
endif()
# The validation part holds normal windows only: no ROC-AUC, refused up front.
execute_process(COMMAND ${TFMED} eval tsrnet ${OUT}/r.tfm --split val RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "--split: val not in {test,all}")
  message(FATAL_ERROR "eval --split val: expected a refusal, got ${rc}: ${err}")
endif()
# data rpeaks --json onto the record's own header replaced it (on a copy).
file(MAKE_DIRECTORY ${OUT}/rec)
file(COPY ${rec}.hea ${rec}.dat ${rec}.atr DESTINATION ${OUT}/rec)
execute_process(COMMAND ${TFMED} data rpeaks ${OUT}/rec/100.hea --json ${OUT}/rec/100.hea
                RESULT_VARIABLE rc ERROR_VARIABLE err)
file(READ ${OUT}/rec/100.hea head_after)
file(READ ${rec}.hea head_before)
if(rc EQUAL 0 OR NOT err MATCHES "expected an output other than the input" OR
   NOT head_after STREQUAL head_before)
  message(FATAL_ERROR "data rpeaks --json onto the header: expected a refusal, got ${rc}: ${err}")
endif()
run_ok("info" info ${OUT}/a.tfm)
foreach(want "\"model\": \"tsrnet\"" "\"sample_rate\": 500" "\"threshold\": [0-9]"
             "\"source\": \"mitdb_compiled10s\"" "\"history\"")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "tfmed info: expected '${want}' in:\n${out}")
  endif()
endforeach()
file(READ ${OUT}/a.png head LIMIT 8 HEX)
if(NOT head STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "tfmed train --plot: not a PNG")
endif()

run_ok("eval" eval tsrnet ${OUT}/a.tfm --data-dir ${DATA} --threads 1 --json ${OUT}/eval.json
       --roc ${OUT}/roc.png)
if(NOT out MATCHES "test split\\): 336 windows F 80 N 16 Q 80 S 80 V 80" OR
   NOT out MATCHES "plain +0\\.[0-9]+ +336" OR NOT out MATCHES "peak +0\\.[0-9]+")
  message(FATAL_ERROR "tfmed eval: unexpected report:\n${out}")
endif()
file(READ ${OUT}/eval.json ej)
string(JSON auc GET "${ej}" auc_plain)
if(auc LESS 0 OR auc GREATER 1)
  message(FATAL_ERROR "tfmed eval: AUC ${auc} outside [0, 1]")
endif()
file(READ ${OUT}/roc.png head LIMIT 8 HEX)
if(NOT head STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "tfmed eval --roc: not a PNG")
endif()

# Windows as CSV rows (a 'label' column, 3600 samples at 360 Hz each): scored
# after resampling to the model's 500 Hz.
set(header "label")
foreach(i RANGE 3599)
  string(APPEND header ",s${i}")
endforeach()
set(csv "${header}\n")
foreach(r 0 1 2 3)
  math(EXPR lab "${r} / 2")
  set(line "${lab}")
  foreach(i RANGE 3599)
    math(EXPR v "((${i} * (${r} + 3)) % 360) - 180")
    string(APPEND line ",${v}")
  endforeach()
  string(APPEND csv "${line}\n")
endforeach()
file(WRITE ${OUT}/windows.csv "${csv}")
run_ok("eval csv" eval tsrnet ${OUT}/a.tfm --data ${OUT}/windows.csv --rate 360 --split all
       --threads 1)
if(NOT out MATCHES "\\(all split\\): 4 windows N 2 abnormal 2" OR NOT out MATCHES "plain +[01]\\.[0-9]+ +4")
  message(FATAL_ERROR "tfmed eval on CSV windows: unexpected report:\n${out}")
endif()
# These sawtooth windows have no R peaks but one: plain ranks 4 windows, peak
# 1; the output says so, with plain's AUC on the windows both scored.
if(NOT err MATCHES "3 window\\(s\\) without R peaks have a plain score only: on the 1 windows with both scores")
  message(FATAL_ERROR "tfmed eval on CSV windows: no note on the windows without R peaks:\n${err}")
endif()

run_ok("bench" bench tsrnet --leads 1 --width 4 --d-model 8 --threads 1 --seconds 0.2 --device cpu
       --batches 1 4 --train-batch 4)
# 105,386 parameters at leads 1, width 4, d_model 8; the Python twin (when
# python3-torch is installed) must build the same network and report both rates.
foreach(want "inference, batch 1" "inference, batch 4" "training step, batch 4"
             "batch 4 vs batch 1: [0-9.]+x" "105386 parameters, [0-9.]+ GFLOP per scored window"
             "scoring, batch 4 +[0-9.]+ w/s +[0-9.]+ w/s"
             "twin: PyTorch [0-9a-z.+]+ at the same threads")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "tfmed bench tsrnet: expected '${want}' in:\n${out}")
  endif()
endforeach()

execute_process(COMMAND ${TFMED} eval tsrnet ${OUT}/a.tfm --data-dir ${DATA} --labels x.npy
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "--labels: describes the data of --data; without --data")
  message(FATAL_ERROR "eval with --labels but no --data: expected a refusal, got ${rc}: ${err}")
endif()
execute_process(COMMAND ${TFMED} eval tsrnet ${OUT}/missing.tfm RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "missing.tfm: model file not found")
  message(FATAL_ERROR "eval of a missing model: expected a clear error, got ${rc}: ${err}")
endif()
execute_process(COMMAND ${TFMED} train tsrnet --data nosuch.xyz -o ${OUT}/c.tfm
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "expected 'mitdb_compiled10s', a WFDB record \\(.hea\\), a .npy or a .csv file, found 'nosuch.xyz'"
   OR EXISTS ${OUT}/c.tfm)
  message(FATAL_ERROR "train on bad data: expected a clear error and no file, got ${rc}: ${err}")
endif()
