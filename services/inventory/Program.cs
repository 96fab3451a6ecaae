using Storebridge.Inventory;
using Storebridge.Inventory.Grpc;
using Storebridge.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInventoryServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapInventoryEndpoints();
app.MapGrpcService<InventoryGrpc>();

app.Run();
