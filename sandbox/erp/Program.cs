// dotnet run --project sandbox/erp -- --urls http://127.0.0.1:8002 --seed 42 [--size Small|Medium|Large]
await Storebridge.Sandbox.Erp.ErpSimulator.Build(args, options: null).RunAsync();
