from cloudshare_admin.main import main

main()
