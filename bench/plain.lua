-- wrk: the URL as given (the ceilings: nginx's return 200, fcgi_hello).
dofile("bench/wrk_common.lua")
