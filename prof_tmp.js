const {resolveConfig}=require('./dist/src/run.js');
const run=require('./dist/src/run.js');
(async()=>{
 const c=resolveConfig({}, {dataset:'wn9-img',model:process.argv[2],training:'negative-sampling',loss:'nssa',margin:Number(process.argv[4]||6),adversarialTemperature:0.5,negatives:Number(process.argv[3]),sampler:'uniform',optimizer:'adagrad',lr:0.05,batchSize:512,epochs:1,denseLr:Number(process.argv[5]||0),evalEvery:0,out:'/tmp/prof_ikrl',textFeatures:process.argv[6]||''});
 const t=Date.now(); await run.runTraining(c,{quiet:true,log:(m)=>{if(m.startsWith('epoch'))console.log(m)}}); 
})();
