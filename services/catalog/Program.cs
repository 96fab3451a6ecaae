using Storebridge.Catalog;
using Storebridge.Catalog.Grpc;
using Storebridge.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCatalogServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcService<CatalogGrpc>();

app.Run();
