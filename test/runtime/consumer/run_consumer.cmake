# ctest driver: builds and runs a consumer of tether, either against an install of the current build tree
# (MODE=install: cmake --install --component runtime, then find_package) or from source (MODE=subdir).
# Inputs: MODE, TETHER_SOURCE_DIR, TETHER_BUILD_DIR, WORK_DIR, GENERATOR, MAKE_PROGRAM, CXX, CC, FLAGS.
cmake_minimum_required(VERSION 3.20)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(common -G ${GENERATOR} -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_C_COMPILER=${CC} "-DCMAKE_CXX_FLAGS=${FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}")

if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} --install ${TETHER_BUILD_DIR} --component runtime --prefix ${WORK_DIR}/prefix)
  foreach(f include/tether/tether.h include/tether/testing.h lib/cmake/tether/tetherConfig.cmake)
    if(NOT EXISTS ${WORK_DIR}/prefix/${f})
      message(FATAL_ERROR "install is missing ${f}")
    endif()
  endforeach()
  run(${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/find_package -B ${WORK_DIR}/build ${common}
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(MODE STREQUAL "subdir")
  run(${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/add_subdirectory -B ${WORK_DIR}/build ${common}
      -DTETHER_SOURCE_DIR=${TETHER_SOURCE_DIR})
else()
  message(FATAL_ERROR "MODE must be install or subdir")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2)
run(${WORK_DIR}/build/consumer)
if(NOT last_output MATCHES "tether consumer: ok")
  message(FATAL_ERROR "consumer output: ${last_output}")
endif()
message(STATUS "${MODE} consumer: ${last_output}")
