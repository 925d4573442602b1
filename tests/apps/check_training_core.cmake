# The training core through `tfmed` (see tests/apps/CMakeLists.txt).
if(NOT EXISTS ${DATA}/mitdb_compiled10s/X_mV.npy)
  message("SKIP: ${DATA} lacks mitdb_compiled10s")
  return()
endif()
file(MAKE_DIRECTORY ${OUT})
function(run_ok what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()
function(run_fails what want)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "${want}")
    message(FATAL_ERROR "${what}: expected a failure matching '${want}', got ${rc}:\n${out}\n${err}")
  endif()
endfunction()
function(digest file var)
  execute_process(COMMAND ${TFMED} info ${file} OUTPUT_VARIABLE o RESULT_VARIABLE rc)
  string(REGEX MATCH "FNV-1a 64 ([0-9a-f]+)" m "${o}")
  if(NOT rc EQUAL 0 OR m STREQUAL "")
    message(FATAL_ERROR "tfmed info ${file}: no digest (${rc}):\n${o}")
  endif()
  set(${var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

file(GLOB old ${OUT}/*)
if(old)
  file(REMOVE ${old})
endif()
set(smoke train tsrnet --data mitdb_compiled10s --data-dir ${DATA} --width 4 --d-model 8
          --batch 8 --max-windows 16 --threads 1 --device cpu)

# 1. The weights before and after the move. Recorded with the tool of commit
# 2a3d504 (the loop in apps/tsrnet_cmd.cc) on the build machine; the bits
# depend on LibTorch's CPU kernels and OpenBLAS's core, so they are compared
# where the fingerprint matches and reported otherwise.
set(recorded_fingerprint "1.13.0/AVX2/OpenBLAS Haswell")
run_ok("tfmed system" ${TFMED} system)
string(REGEX MATCH "fingerprint ([^\n]+)" m "${out}")
set(fingerprint "${CMAKE_MATCH_1}")
run_ok("train (2 epochs)" ${TFMED} ${smoke} --epochs 2 --lr 1e-3 -o ${OUT}/a.tfm)
digest(${OUT}/a.tfm da)
run_ok("train (4 epochs, best = epoch 1)" ${TFMED} ${smoke} --epochs 4 --lr 0.3 -o ${OUT}/c.tfm)
if(NOT out MATCHES "best epoch 1 \\(val score 0\\.5")
  message(FATAL_ERROR "expected the lr-0.3 run to select epoch 1:\n${out}")
endif()
digest(${OUT}/c.tfm dc)
if(fingerprint STREQUAL recorded_fingerprint)
  if(NOT da STREQUAL "5bb615df2feb5d3e" OR NOT dc STREQUAL "ddfa8830b5d419db")
    message(FATAL_ERROR "weights differ from the pre-move loop: ${da} (want 5bb615df2feb5d3e), "
                        "${dc} (want ddfa8830b5d419db)")
  endif()
  message(STATUS "weights equal the pre-move loop's: ${da}, ${dc}")
else()
  message(STATUS "pre-move digests were recorded on '${recorded_fingerprint}', this machine is "
                 "'${fingerprint}': not compared (the same-machine checks below still run)")
endif()

# 2. A checkpoint every 3 steps, runs split by --stop-after and resumed: the
# same model as the uninterrupted run. A paused run writes no model file.
run_ok("train --stop-after 1" ${TFMED} ${smoke} --epochs 4 --lr 0.3 --checkpoint-every-steps 3
       --stop-after 1 --json ${OUT}/s.json -o ${OUT}/s.tfm)
if(EXISTS ${OUT}/s.tfm OR NOT EXISTS ${OUT}/s.tfm.ckpt)
  message(FATAL_ERROR "a paused run must leave its checkpoint and no model file")
endif()
if(EXISTS ${OUT}/s.json OR NOT err MATCHES "not written: ${OUT}/s.json")
  message(FATAL_ERROR "a paused run writes no --json and says so:\n${err}")
endif()
run_fails("resume with another lr" "resume with other training settings than the checkpoint's: optimizer.lr 0.3 -> 0.2"
          ${TFMED} ${smoke} --epochs 4 --lr 0.2 --checkpoint-every-steps 3 --resume -o ${OUT}/s.tfm)
# A refused command line leaves the paused run's checkpoint alone (a fresh run
# removed it after reading the data, before its loop refused the schedule).
run_fails("bad schedule over a paused run" "expected schedule constant, cosine, step or plateau, found 'linear'"
          ${TFMED} ${smoke} --epochs 4 --schedule linear -o ${OUT}/s.tfm)
if(NOT EXISTS ${OUT}/s.tfm.ckpt)
  message(FATAL_ERROR "a refused command line removed the checkpoint ${OUT}/s.tfm.ckpt")
endif()
# Training data are inputs: no output onto them (refused before reading).
file(WRITE ${OUT}/windows.npy "not read")
run_fails("json onto the training data" "expected an output other than the input"
          ${TFMED} train tsrnet --data ${OUT}/windows.npy --width 4 --d-model 8 --epochs 1
          --json ${OUT}/windows.npy -o ${OUT}/never.tfm)
run_ok("train --resume" ${TFMED} ${smoke} --epochs 4 --lr 0.3 --checkpoint-every-steps 3 --resume
       -o ${OUT}/s.tfm)
digest(${OUT}/s.tfm ds)
if(NOT ds STREQUAL dc)
  message(FATAL_ERROR "paused + resumed run differs from the uninterrupted one: ${ds} vs ${dc}")
endif()
run_ok("info" ${TFMED} info ${OUT}/s.tfm.ckpt)
if(NOT out MATCHES "sections: best_weights \\([0-9]+ bytes\\) optimizer \\([0-9]+ bytes\\) weights")
  message(FATAL_ERROR "checkpoint sections:\n${out}")
endif()

# 3. Export to a state dict; Python's torch.load reads it (names, shapes,
# sums); Python's torch.save of it imports back to the same weights.
run_ok("export" ${TFMED} export ${OUT}/a.tfm -o ${OUT}/a.pt --json ${OUT}/a_export.json)
run_ok("python check" ${PYTHON} ${CHECK_PY} ${OUT}/a.pt ${OUT}/a_export.json ${OUT}/b.pt)
message(STATUS "${out}")
run_ok("import" ${TFMED} import --model tsrnet --card-from ${OUT}/a.tfm ${OUT}/b.pt
       -o ${OUT}/b.tfm)
digest(${OUT}/b.tfm db)
if(NOT db STREQUAL da)
  message(FATAL_ERROR "export -> torch.load -> torch.save -> import changed the weights: ${db} vs ${da}")
endif()
run_ok("info" ${TFMED} info ${OUT}/a.tfm)
string(FIND "${out}" "\nweights:" cut)
string(SUBSTRING "${out}" 0 ${cut} card)
string(JSON card SET "${card}" architecture width 8)
file(WRITE ${OUT}/wide.json "${card}")
run_fails("import into another architecture"
          "the weights do not fit the card's architecture \\(.*time_encoder.main.0.weight: expected shape \\[8, 1, 4\\], found \\[4, 1, 4\\]"
          ${TFMED} import --model tsrnet --card-from ${OUT}/wide.json ${OUT}/b.pt -o ${OUT}/x.tfm)
run_fails("import of an OrderedDict" "model.state_dict\\(\\) returns"
          ${TFMED} import --model tsrnet --card-from ${OUT}/a.tfm ${OUT}/b_ordered.pt -o ${OUT}/x.tfm)
if(EXISTS ${OUT}/x.tfm)
  message(FATAL_ERROR "a refused import left ${OUT}/x.tfm behind")
endif()

# 4. Refusals before any epoch runs, and no file left behind.
run_fails("train into a missing folder" "the folder ${OUT}/nope does not exist"
          ${TFMED} ${smoke} --epochs 1 -o ${OUT}/nope/m.tfm)
foreach(model tsrnet specar trls) # (a model has its checkpoint and lock beside it)
  run_fails("train ${model} -o -" "-: expected a file path for the model \\(its checkpoint and lock"
            ${TFMED} train ${model} --epochs 1 -o -)
endforeach()
run_fails("bad schedule" "expected schedule constant, cosine, step or plateau, found 'linear'"
          ${TFMED} ${smoke} --epochs 1 --schedule linear -o ${OUT}/m.tfm)
# Options that mean something only beside another are refused, not ignored.
run_fails("--gamma without the step schedule" "--gamma: only with --schedule step"
          ${TFMED} ${smoke} --epochs 1 --gamma 0.5 -o ${OUT}/m.tfm)
run_fails("--plateau-factor with cosine" "--plateau-factor: only with --schedule plateau"
          ${TFMED} ${smoke} --epochs 1 --schedule cosine --plateau-factor 0.5 -o ${OUT}/m.tfm)
foreach(model tsrnet specar trls)
  run_fails("train ${model} --allow-changed-settings without --resume"
            "--allow-changed-settings: only with --resume"
            ${TFMED} train ${model} --allow-changed-settings -o ${OUT}/m.tfm)
endforeach()
run_fails("bench tsrnet --model with --width"
          "--width: describes a fresh network; the card of --model gives its own"
          ${TFMED} bench tsrnet --model ${OUT}/m.tfm --width 4)
foreach(model tsrnet specar trls)
  run_fails("bench ${model} --python with --no-twin"
            "--python: for the Python twin, which --no-twin leaves out"
            ${TFMED} bench ${model} --no-twin --python python3)
endforeach()
if(EXISTS ${OUT}/m.tfm)
  message(FATAL_ERROR "a refused run left ${OUT}/m.tfm behind")
endif()
