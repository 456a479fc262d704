module coffer.dev/coffer

go 1.19
