using Storebridge.Returns;
using Storebridge.Returns.Grpc;
using Storebridge.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddReturnsServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcService<ReturnsGrpc>();

app.Run();
