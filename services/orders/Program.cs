using Storebridge.Orders;
using Storebridge.Orders.Grpc;
using Storebridge.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddOrdersServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapOrdersEndpoints();
app.MapGrpcService<OrdersGrpc>();

app.Run();
