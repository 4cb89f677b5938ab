module go-services/services/hello

go 1.26.0

require go-services/services/platform v0.0.0

replace go-services/services/platform => ../platform
