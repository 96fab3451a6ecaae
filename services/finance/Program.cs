using Storebridge.Finance;
using Storebridge.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFinanceServices();

var app = builder.Build();
app.MapDefaultEndpoints();

app.Run();

// The entry point type tests host the service by (finance has no gRPC service class to name).
public partial class Program;
