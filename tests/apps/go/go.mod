module monos.test/goapps

go 1.19
