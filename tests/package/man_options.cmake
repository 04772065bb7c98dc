# cmake -DEXE=<tool> -DMAN=<page.1> -P man_options.cmake: the options (and commands) a tool's
# --help lists must be the ones its man page describes, each way round. In --help, an entry is a
# line indented by two spaces whose first column names it ("  --checks=<string>  - …",
# "  -h, --help   …", "  summary FILE   …"); in the page, an entry is the first line after a .TP
# in the OPTIONS or COMMANDS section. An entry's names are its comma-separated words up to '=',
# '[' or a space. groff, when present, must read the page without a warning.
execute_process(COMMAND ${EXE} --help OUTPUT_VARIABLE help RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${EXE} --help exited with ${status}")
endif()

function(entry_names term out)
  set(names)
  string(REPLACE ", " ";" alternatives "${term}")
  foreach(alt IN LISTS alternatives)
    if(alt MATCHES "^(-*[A-Za-z][A-Za-z0-9-]*)")
      list(APPEND names ${CMAKE_MATCH_1})
    endif()
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
endfunction()

set(from_help)
string(REPLACE "\n" ";" lines "${help}")
foreach(line IN LISTS lines)
  if(line MATCHES "^  ([^ ].*)$")
    # The entry's term ends where two spaces or " - " begin its description.
    string(REGEX REPLACE "(  | - ).*$" "" term "${CMAKE_MATCH_1}")
    entry_names("${term}" names)
    list(APPEND from_help ${names})
  endif()
endforeach()

file(STRINGS ${MAN} page)
set(from_man)
set(section "")
set(after_tp FALSE)
foreach(line IN LISTS page)
  if(line MATCHES "^\\.SH +\"?([A-Z ]+)")
    set(section "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^\\.TP")
    set(after_tp TRUE)
  elseif(after_tp)
    set(after_tp FALSE)
    if(section MATCHES "^(OPTIONS|COMMANDS)$")
      # Drop the macro and roff's escapes: \- is '-', \fB… are fonts, quotes group words
      # (.BI summary " file" is "summary file", .BR \-h ", " \-\-help is "-h, --help").
      string(REGEX REPLACE "^\\.[A-Z]+ +" "" term "${line}")
      string(REGEX REPLACE "\\\\f[BIRP]" "" term "${term}")
      string(REPLACE "\\-" "-" term "${term}")
      string(REPLACE "\"" "" term "${term}")
      string(REGEX REPLACE " *, *" ", " term "${term}")
      entry_names("${term}" names)
      list(APPEND from_man ${names})
    endif()
  endif()
endforeach()

list(REMOVE_DUPLICATES from_help)
list(REMOVE_DUPLICATES from_man)
set(missing_in_man ${from_help})
list(REMOVE_ITEM missing_in_man ${from_man})
set(missing_in_help ${from_man})
list(REMOVE_ITEM missing_in_help ${from_help})
if(missing_in_man OR missing_in_help)
  message(FATAL_ERROR "${MAN} and ${EXE} --help disagree:\n"
    "  in --help, not in the page: ${missing_in_man}\n"
    "  in the page, not in --help: ${missing_in_help}")
endif()
list(LENGTH from_help count)
message(STATUS "${count} entries agree: ${from_help}")

find_program(GROFF groff)
if(GROFF)
  execute_process(COMMAND ${GROFF} -man -Tutf8 -ww -z ${MAN} ERROR_VARIABLE warnings)
  if(warnings)
    message(FATAL_ERROR "groff warns about ${MAN}:\n${warnings}")
  endif()
endif()
