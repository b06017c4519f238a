# attnscope_add_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [ENV ...])
# One GoogleTest executable; its cases are registered with ctest through gtest_discover_tests.
# "gpu" tests skip with exit code 77 when no device is present; "gui" tests run offscreen; "gl"
# tests run as one program under xvfb-run.
function(attnscope_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS;ENV" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE attnscope_core_internal GTest::gtest GTest::gtest_main ${ARG_LIBS})
  target_compile_definitions(${name} PRIVATE
    ATTNSCOPE_TEST_DATA="${ATTNSCOPE_TEST_DATA}"
    ATTNSCOPE_SHARED_MODELS="${ATTNSCOPE_SHARED_MODELS}"
    ATTNSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ATTNSCOPE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  attnscope_set_warnings(${name})
  set(env ${ARG_ENV})
  if("gui" IN_LIST ARG_LABELS)
    list(APPEND env QT_QPA_PLATFORM=offscreen)
  endif()
  if("gl" IN_LIST ARG_LABELS)
    # GL needs a real X server (stack_notes §4): one ctest entry run inside xvfb-run, serially
    # because concurrent xvfb-run -a can race for a display number.
    find_program(ATTNSCOPE_XVFB_RUN xvfb-run)
    if(NOT ATTNSCOPE_XVFB_RUN)
      message(STATUS "attnscope: xvfb-run not found; ${name} (label gl) is not registered")
      return()
    endif()
    add_test(NAME ${name} COMMAND ${ATTNSCOPE_XVFB_RUN} -a -s "-screen 0 1600x1000x24" $<TARGET_FILE:${name}>)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" RUN_SERIAL ON TIMEOUT 180
      ENVIRONMENT "${env}")
  elseif("gpu" IN_LIST ARG_LABELS OR "real" IN_LIST ARG_LABELS OR ARG_LABELS MATCHES ";")
    # One ctest entry per program: "no device" skips the whole GPU program with 77, and a real-model
    # program can depend on the fixture that fetches its model. Several labels land here too:
    # gtest_discover_tests' PROPERTIES would split LABELS "gui;slow" into keys and drop the rest.
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 LABELS "${ARG_LABELS}"
      ENVIRONMENT "${env}")
  else()
    gtest_discover_tests(${name}
      PROPERTIES LABELS "${ARG_LABELS}" ENVIRONMENT "${env}"
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
