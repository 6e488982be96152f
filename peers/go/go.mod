module asyncscope/peers/go

go 1.19
