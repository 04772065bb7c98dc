module weavebench

go 1.19
