# Writes OUTPUT, a C++ file defining one char array per web asset, so the
# console serves its UI without files next to it. Called as
#   cmake -DOUTPUT=assets.cc -DASSETS="name=path|..." -P embed_assets.cmake
set(text "// Generated from examples/console/web by embed_assets.cmake. Do not edit.\nnamespace console {\n")
string(REPLACE "|" ";" asset_list "${ASSETS}")
foreach(pair ${asset_list})
  string(REPLACE "=" ";" parts "${pair}")
  list(GET parts 0 name)
  list(GET parts 1 path)
  file(READ "${path}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND text "extern const unsigned char ${name}[];\nconst unsigned char ${name}[] = {${bytes}0x00};\n")
endforeach()
string(APPEND text "}  // namespace console\n")
file(WRITE "${OUTPUT}" "${text}")
